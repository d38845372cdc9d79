import { redactSecrets } from "../audit/redact-body.ts";
import { configSchema } from "../config/config-schema.ts";
import type { JsonObject } from "../core/dialect.ts";
import { createOpenAICompatibleProvider } from "../providers/openai-compatible/openai-compatible-provider.ts";
import type { ClientReply } from "../routing/native-reply.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchTelemetry } from "../telemetry/dispatch-telemetry.ts";
import {
  answeredRecord,
  clientRequest,
  fixtureRunner,
  primaryDispatch,
  shadowRoute,
} from "./shadow-runner-fixture.ts";
import type { ThreadRules } from "./shadow-thread-protocol.ts";

// What the shadow thread's tests share (test support, not shipped): one config, the shadow route
// to a fake upstream, a runner that records on the event loop or in the thread, and one client
// request through it, built as the runner's other tests build theirs (shadow-runner-fixture.ts).

const config = configSchema.parse({
  providers: [{ name: "twin", type: "openai", base_url: "http://127.0.0.1:1/v1" }],
  models: [{ name: "m", routes: [{ provider: "twin", model: "candidate" }] }],
  prices: { candidate: { input_per_mtok: 3, output_per_mtok: 7 } },
  audit: { bodies: true },
});
const rules: ThreadRules = {
  maxAnswer: config.shadow.max_answer,
  keepAnswers: true,
  flushMs: 1,
  prices: { prices: config.prices, providers: config.providers, models: config.models },
};

/** The shadow route to the fake upstream at `url`, its requests sent with `headers`. */
export const twin = (url: string, headers: Record<string, string> = {}): Route =>
  shadowRoute(createOpenAICompatibleProvider({ name: "twin", baseUrl: `${url}/v1`, headers }));

/** A plain copy of a chat call to the fake upstream at `url`, as the runner hands it to the thread. */
export const twinCopy = (url: string) => ({
  provider: "twin",
  url: `${url}/v1/chat/completions`,
  headers: {},
  body: "{}",
  target: { label: "provider:twin", dialect: "openai" as const, operation: "chat" as const, stream: false },
});

/** Where the pair is recorded: on the event loop (`loop`), or in the shadow thread (`owned`, with or without `insertJson`). */
export type Path = "loop" | "owned" | "owned-insert";

export function runner(path: Path, options: { timeout?: number; cap?: number } = {}) {
  return fixtureRunner({
    config,
    timeout: options.timeout ?? 10_000,
    maxConcurrent: options.cap ?? 16,
    keepAnswers: true,
    redact: redactSecrets,
    thread: path === "loop" ? "off" : "all",
    ...(path === "loop" ? {} : { threadRules: () => rules }),
    insertJson: path === "owned",
  });
}

/** One client request through the runner: sampled, answered with `reply`, its audit record in. */
export async function mirrored(
  shadow: ReturnType<typeof runner>["shadow"],
  requestId: string,
  route: Route,
  {
    stream,
    reply,
    body,
    telemetry,
  }: { stream: boolean; reply: () => ClientReply; body: JsonObject; telemetry?: DispatchTelemetry },
): Promise<boolean> {
  const request = clientRequest(requestId, body, stream, telemetry);
  const primary = primaryDispatch(reply(), 3, 9);
  const handed = shadow.hook({ route, sample: 1 }, request, primary);
  const sampled = handed !== primary;
  // A stream reaches the client (and so the capture) before its audit record is in.
  if (handed.reply.kind === "stream") {
    const { chunks } = handed.reply;
    if (!chunks.ready?.() || !chunks.drained) while (await chunks.next());
  }
  const record = answeredRecord(requestId, {
    keyName: "team-key",
    tenant: "acme",
    stream,
    latencyMs: 12.345,
    ttfbMs: 4.567,
    inputTokens: 3,
    outputTokens: 9,
    costUsd: 0.25,
  });
  shadow.finished(record, request.serial);
  return sampled;
}

export const encode = (text: string) => new TextEncoder().encode(text);
export const chat = (content: string) => ({
  choices: [{ index: 0, message: { role: "assistant", content } }],
});
export const ask = (content: string, extra: JsonObject = {}): JsonObject => ({
  model: "m",
  messages: [{ role: "user", content }],
  ...extra,
});

/** What a copy told its request's telemetry: the route it named, how its span closed. */
export interface CopySpans {
  readonly telemetry: DispatchTelemetry;
  readonly routes: string[];
  /** Each close: its failure's code, or `ok`. */
  readonly closes: string[];
}

/** A request's telemetry that sees only shadow copies; each copy sends `traceparent`. */
export function copySpans(traceparent: string): CopySpans {
  const routes: string[] = [];
  const closes: string[] = [];
  const telemetry: DispatchTelemetry = {
    attempt: () => {
      throw new Error("a shadow copy is no attempt");
    },
    shadowCopy: (info) => {
      routes.push(info.route);
      return { traceparent, tracestate: "mgw=1", closed: (error) => closes.push(error?.code ?? "ok") };
    },
  };
  return { telemetry, routes, closes };
}
