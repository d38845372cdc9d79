import { SpanKind } from "@opentelemetry/api";
import {
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
  TracerProvider,
} from "@opentelemetry/sdk-trace";
import type { ProviderConfig } from "../config/config-schema.ts";
import type { JsonObject } from "../core/dialect.ts";
import { type Authenticator, createGateway, parseConfig, silentLogger } from "../index.ts";
import { createProvider } from "../providers/create-provider.ts";
import type { Provider } from "../providers/provider.ts";
import { answeredModel } from "../translate/answered-model.ts";
import { jwtCaller } from "./jwt-caller.ts";
import { waitForValue } from "./wait-for.ts";

/** Test support: which model one call's answer and its trace name, through the whole gateway. */

const anyone: Authenticator = async () => jwtCaller;

/** The upstream's answer to one call: the URL it went to, the body sent (parsed, when JSON). */
export type UpstreamAnswer = (url: string, sent: JsonObject) => Response | Promise<Response>;

export interface TracedRoute {
  /** The provider as configured (its `name` is the route's). */
  provider: Record<string, unknown> & { name: string; type: string };
  /** The route's upstream model. */
  model: string;
  answer: UpstreamAnswer;
  /** Builds the provider on the fake `fetch`, where the config alone cannot (default: `createProvider`). */
  build?: (fetch: typeof globalThis.fetch) => Provider;
}

/** The model the caller's answer names, and `gen_ai.response.model` on the server and attempt spans. */
export interface NamedModels {
  said: string | undefined;
  server: unknown;
  attempt: unknown;
}

/** One call's answer as the caller read it, and the spans it left (server and attempts). */
export interface TracedCall {
  text: string;
  spans: ReadableSpan[];
}

/**
 * Calls model `m` (one route, `route`) at `path` with `body`, its upstream answering through
 * `route.answer`; the call must be answered `status` (200 unless a failure is meant). Its answer's
 * text, and the spans it left once its server span has ended.
 */
export async function tracedCall(
  route: TracedRoute,
  path: string,
  body: JsonObject,
  headers: Record<string, string> = {},
  status = 200,
): Promise<TracedCall> {
  const send = async (url: unknown, init?: RequestInit) => {
    const text =
      typeof init?.body === "string" ? init.body : new TextDecoder().decode(init?.body as Uint8Array);
    return route.answer(String(url), JSON.parse(text) as JsonObject);
  };
  const fetch = Object.assign(send, { preconnect: () => {} }) as typeof globalThis.fetch;
  const exporter = new InMemorySpanExporter();
  const tracer = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  const gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      auth: { bootstrap_admin: false },
      providers: [route.provider],
      models: [{ name: "m", routes: [{ provider: route.provider.name, model: route.model }] }],
      routing: { retries: 0 },
    }),
    auth: anyone,
    logger: silentLogger,
    providers: (config, context) =>
      route.build?.(fetch) ?? createProvider(config as ProviderConfig, { ...context, fetch, env: {} }),
    tracing: { tracer: tracer.getTracer("test") },
  });
  try {
    const response = await gateway.handle(
      new Request(`http://gw${path}`, {
        method: "POST",
        headers: { authorization: "Bearer t", "content-type": "application/json", ...headers },
        body: JSON.stringify({ model: "m", ...body }),
      }),
    );
    const text = await response.text();
    if (response.status !== status) throw new Error(`answered ${response.status}: ${text}`);
    // The request's span ends once its answer is accounted, which may be after the caller read it.
    const spans = await waitForValue("the request's span", () => {
      const ended = exporter.getFinishedSpans();
      return ended.some((span) => span.attributes["gen_ai.request.model"] === "m") && ended;
    });
    return { text, spans };
  } finally {
    await gateway.stop();
  }
}

/**
 * `tracedCall`: what the answer and the spans name as the model that answered.
 */
export async function tracedModels(
  route: TracedRoute,
  path: string,
  body: JsonObject,
  headers: Record<string, string> = {},
  status = 200,
): Promise<NamedModels> {
  const { text, spans } = await tracedCall(route, path, body, headers, status);
  const model = (kind: SpanKind) =>
    spans.find((span) => span.kind === kind)?.attributes["gen_ai.response.model"];
  return { said: modelNamed(text), server: model(SpanKind.SERVER), attempt: model(SpanKind.CLIENT) };
}

/** The model a whole answer names, or the first a stream's events name. */
function modelNamed(text: string): string | undefined {
  if (text.startsWith("{")) return answeredModel(JSON.parse(text));
  for (const line of text.split("\n")) {
    if (!line.startsWith("data: ") || line === "data: [DONE]") continue;
    const model = answeredModel(JSON.parse(line.slice(6)));
    if (model) return model;
  }
  return undefined;
}
