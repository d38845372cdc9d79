import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import OpenAI from "openai";
import {
  type AuditRecord,
  createGateway,
  createProvider,
  type Gateway,
  parseConfig,
  type SseEvent,
  silentLogger,
} from "./index.ts";
import { jwtCaller } from "./testing/jwt-caller.ts";
import { waitForValue } from "./testing/wait-for.ts";

// A translated stream whose upstream goes quiet for the caller while it stays alive: Claude sends
// `ping` between its deltas (Anthropic's "Event types": pings may come anywhere in the stream),
// which a chat caller's translation writes nothing for. Each upstream event is a sign of life, and
// the idle bound (`timeouts.idle`) counts from the last: the same stream from Anthropic's API over
// HTTP (routing/translated-relay.ts, a read at a time) and from an embedder's provider that yields
// the events (the async driver, routing/event-chunks.ts) must both reach the caller whole.

const IDLE = "1s";
/** The pings' pace and count: more than twice the idle bound of quiet for the caller, never a bound's worth between two. */
const PING_EVERY_MS = 40;
const PINGS = 60;

const named = (event: string, data: object): SseEvent => ({
  event,
  data: JSON.stringify({ type: event, ...data }),
});
const text = (said: string) =>
  named("content_block_delta", { index: 0, delta: { type: "text_delta", text: said } });
const PING = named("ping", {});
const OPENING = [
  named("message_start", {
    message: {
      id: "msg_1",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-5",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 3, output_tokens: 1 },
    },
  }),
  named("content_block_start", { index: 0, content_block: { type: "text", text: "" } }),
  text("Hel"),
];
const CLOSING = [
  text("lo"),
  named("content_block_stop", { index: 0 }),
  named("message_delta", {
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: 2 },
  }),
  named("message_stop", {}),
];

/** Claude's stream: it begins its answer, then only pings for a while, then ends it. */
async function* paced(): AsyncGenerator<SseEvent> {
  yield* OPENING;
  for (let i = 0; i < PINGS; i++) {
    // The stimulus, the fake upstream's own pace (no wait of the test's): a ping every PING_EVERY_MS.
    await Bun.sleep(PING_EVERY_MS);
    yield PING;
  }
  yield* CLOSING;
}

const wire = (event: SseEvent) => `event: ${event.event}\ndata: ${event.data}\n\n`;

const finished: AuditRecord[] = [];
let anthropicApi: ReturnType<typeof Bun.serve>;
let gateway: Gateway;
let openai: OpenAI;

beforeAll(async () => {
  // Anthropic's Messages API, faked on loopback: the same paced stream as SSE bytes.
  anthropicApi = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () => {
      const encoder = new TextEncoder();
      const events = paced();
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          const next = await events.next();
          if (next.done) controller.close();
          else controller.enqueue(encoder.encode(wire(next.value)));
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  const route = (provider: string) => ({
    name: provider,
    routes: [{ provider, model: "claude-sonnet-4-5", timeouts: { idle: IDLE } }],
  });
  gateway = await createGateway({
    config: parseConfig({
      storage: { path: ":memory:" },
      routing: { retries: 0 },
      providers: [
        {
          name: "over-http",
          type: "anthropic",
          base_url: `http://127.0.0.1:${anthropicApi.port}`,
          api_key: "k",
        },
        { name: "embedded", type: "mock" },
      ],
      models: [route("over-http"), route("embedded")],
    }),
    providers: (config, context) =>
      config.name === "embedded"
        ? { name: config.name, dialect: "anthropic", call: async () => ({ kind: "stream", events: paced() }) }
        : createProvider(config, context),
    auth: async () => jwtCaller,
    logger: silentLogger,
    events: [{ publish: (event) => event.type === "request.finished" && finished.push(event.record) }],
  });
  const base = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
  openai = new OpenAI({ baseURL: `${base}/v1`, apiKey: "t", maxRetries: 0 });
});
afterAll(async () => {
  await gateway.stop();
  anthropicApi.stop(true);
});

/** What a chat caller's stream says, and the status its audit row records. */
async function streamed(model: string, customTool = false): Promise<{ said: string; status: number }> {
  const tools = customTool ? [{ type: "custom" as const, custom: { name: "apply_patch" } }] : undefined;
  const stream = await openai.chat.completions
    .create({ model, messages: [{ role: "user", content: "hi" }], stream: true, ...(tools ? { tools } : {}) })
    .withResponse();
  let said = "";
  for await (const chunk of stream.data) said += chunk.choices[0]?.delta.content ?? "";
  const requestId = stream.response.headers.get("x-request-id");
  const row = await waitForValue(`the audit row of ${requestId}`, () =>
    finished.find((record) => record.requestId === requestId),
  );
  return { said, status: row.status };
}

describe("a translated stream whose upstream only pings for longer than the idle bound", () => {
  test("from Anthropic's API over HTTP: whole, each ping a sign of life", async () => {
    expect(await streamed("over-http")).toEqual({ said: "Hello", status: 200 });
  }, 30_000);

  test("from Anthropic's API over HTTP to a caller that declared a custom tool (translated twice): whole too", async () => {
    expect(await streamed("over-http", true)).toEqual({ said: "Hello", status: 200 });
  }, 30_000);

  test("from an embedder's provider that yields the events: whole too, as over HTTP", async () => {
    expect(await streamed("embedded")).toEqual({ said: "Hello", status: 200 });
  }, 30_000);
});
