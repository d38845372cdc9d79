import { converseFrames, converseJson } from "../../test/fake-cloud/bedrock-wire.ts";
import type { CloudAnswer } from "../../test/fake-cloud/cloud-script.ts";
import type { ProviderConfig } from "../config/config-schema.ts";
import type { JsonObject } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";
import { createProvider } from "../providers/create-provider.ts";
import type { DispatchRequest } from "./dispatch.ts";
import { eventsOf, type FakeProvider, routerFor } from "./router-test-kit.ts";

// The real Bedrock provider behind the router, for tests of what each caller's dialect makes of
// Converse: its answers come as Bedrock writes them, a stream in the binary event-stream framing
// (test/fake-cloud/bedrock-wire.ts), decoded by the provider's own decoder.

/** The Bedrock provider `br`, its fetch answering `answer` as Converse does (whole, or framed). */
function bedrock(answer: CloudAnswer, sent: JsonObject[]): FakeProvider {
  const send = async (url: unknown, init?: RequestInit) => {
    sent.push(JSON.parse(String(init?.body)));
    if (!String(url).endsWith("/converse-stream")) return Response.json(converseJson(answer));
    const frames = converseFrames(answer);
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        for (const frame of frames) controller.enqueue(frame);
        controller.close();
      },
    });
    return new Response(body, { headers: { "content-type": "application/vnd.amazon.eventstream" } });
  };
  const fetch = Object.assign(send, { preconnect: () => {} }) as typeof globalThis.fetch;
  const config = {
    name: "br",
    type: "bedrock",
    region: "us-east-1",
    base_url: "https://bedrock.test",
    aws: { access_key_id: "AKIATEST", secret_access_key: "secret" },
  };
  return { ...createProvider(config as ProviderConfig, { maxSseLine: 1 << 20, fetch }), calls: [] };
}

/**
 * Model `m` on Claude through Converse, answering `answer`; `sent` the Converse bodies it was sent.
 * `config`: more of the gateway's config (`translation`).
 */
export function routed(
  answer: CloudAnswer,
  model = "us.anthropic.claude-sonnet-4-5-v1:0",
  config: object = {},
) {
  const sent: JsonObject[] = [];
  const { router } = routerFor(
    {
      providers: [{ name: "br", type: "bedrock", region: "us-east-1" }],
      models: [{ name: "m", routes: [{ provider: "br", model }] }],
      routing: { retries: 0 },
      ...config,
    },
    [bedrock(answer, sent)],
  );
  return { router, sent };
}

/** An Anthropic caller's call, with `body` fields beside (or over) the plain ones. */
export const messagesCall = (stream: boolean, body: JsonObject = {}): Partial<DispatchRequest> => ({
  operation: "messages",
  stream,
  body: {
    model: "m",
    max_tokens: 500,
    stream,
    messages: [{ role: "user", content: "weather in Paris?" }],
    ...body,
  },
});

/** A Responses caller's call. */
export const responsesCall = (stream: boolean): Partial<DispatchRequest> => ({
  operation: "responses",
  stream,
  body: { model: "m", input: "weather in Paris?", stream },
  responses: { id: "resp_1", previous: [], onResponse: () => {} },
});

/** A streamed reply's events, parsed, without `[DONE]`. */
export async function streamed(dispatched: { reply: { kind: string } }): Promise<JsonObject[]> {
  const reply = dispatched.reply as { kind: "stream"; chunks: Parameters<typeof eventsOf>[0] };
  if (reply.kind !== "stream") throw new Error(`a ${reply.kind} reply`);
  const out: JsonObject[] = [];
  for await (const event of eventsOf(reply.chunks) as AsyncIterable<SseEvent>)
    if (event.data !== "[DONE]") out.push(JSON.parse(event.data) as JsonObject);
  return out;
}

/** A whole reply's body. */
export const whole = (dispatched: { reply: { kind: string } }): JsonObject => {
  const reply = dispatched.reply as { kind: string; body?: JsonObject };
  if (reply.kind !== "json" || !reply.body) throw new Error(`a ${reply.kind} reply`);
  return reply.body;
};

/** A chat answer's first choice. */
export const choiceOf = (answer: JsonObject): JsonObject => {
  const [choice] = answer.choices as JsonObject[];
  return choice ?? {};
};

/** A chat answer's message. */
export const messageOf = (answer: JsonObject): JsonObject => (choiceOf(answer).message ?? {}) as JsonObject;
