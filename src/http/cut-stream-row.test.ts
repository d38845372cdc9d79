import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { AuditRecord } from "../audit/audit-record.ts";
import { recordOf } from "../testing/recording-gateway.ts";
import { startUpstreamGateway, type UpstreamGateway } from "../testing/upstream-gateway.ts";

// A stream cut short, by its client or by its upstream: one row, its status, its first token's
// time within its latency, and the tokens and cost of what was streamed so far.
const chunk = (delta: object) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 7, model: "up", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
const event = (type: string, data: object) =>
  `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
/** Each upstream dialect's opening and its first text, "Hello world", by the path it was called on. */
const OPENING: Record<string, string> = {
  "/v1/chat/completions": chunk({ role: "assistant", content: "Hello" }) + chunk({ content: " world" }),
  "/v1/messages":
    event("message_start", {
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "up",
        content: [],
        stop_reason: null,
        usage: { input_tokens: 10, output_tokens: 1 },
      },
    }) +
    event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }) +
    event("content_block_delta", { index: 0, delta: { type: "text_delta", text: "Hello" } }) +
    event("content_block_delta", { index: 0, delta: { type: "text_delta", text: " world" } }),
  "/v1/responses":
    event("response.created", {
      sequence_number: 0,
      response: { id: "resp_1", object: "response", status: "in_progress", model: "up", output: [] },
    }) +
    event("response.output_item.added", {
      sequence_number: 1,
      output_index: 0,
      item: { id: "msg_1", type: "message", role: "assistant", status: "in_progress", content: [] },
    }) +
    event("response.content_part.added", {
      sequence_number: 2,
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      part: { type: "output_text", text: "", annotations: [] },
    }) +
    event("response.output_text.delta", {
      sequence_number: 3,
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: "Hello",
    }) +
    event("response.output_text.delta", {
      sequence_number: 4,
      item_id: "msg_1",
      output_index: 0,
      content_index: 0,
      delta: " world",
    }),
};
const encoder = new TextEncoder();
const PRICE = { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 };
let gateway: UpstreamGateway;
let finished: AuditRecord[];
let adminKey = "";
let url = "";
/** The held streams' ends, run at the end so no upstream body outlives the file. */
const held: (() => void)[] = [];

beforeAll(async () => {
  gateway = await startUpstreamGateway(
    async (request) => {
      const { model } = (await request.json()) as { model: string };
      const opening = OPENING[new URL(request.url).pathname] ?? "";
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(opening));
          // `held` waits for the client to leave; `broken` breaks its body once the client read it.
          held.push(() => {
            try {
              if (model.startsWith("broken")) controller.error(new Error("upstream died"));
              else controller.close();
            } catch {
              // Its client left first: the gateway cancelled the body.
            }
          });
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
    (base) => ({
      providers: [
        { name: "up", type: "openai", base_url: `${base}/v1` },
        { name: "up-messages", type: "anthropic", base_url: base },
        { name: "up-responses", type: "openai", base_url: `${base}/v1`, responses_api: true },
      ],
      // `held` and `broken` answer in chat, translated for a Messages or Responses caller; their
      // `-messages` and `-responses` twins in the caller's own dialect, relayed as bytes.
      models: ["", "-messages", "-responses"].flatMap((twin) =>
        ["held", "broken"].map((name) => ({
          name: name + twin,
          routes: [{ provider: `up${twin}`, model: name + twin }],
        })),
      ),
      routing: { retries: 0 },
      prices: Object.fromEntries(
        ["held", "broken", "held-messages", "broken-messages", "held-responses", "broken-responses"].map(
          (name) => [name, PRICE],
        ),
      ),
    }),
  );
  ({ adminKey, finished, url } = gateway);
});

afterAll(async () => {
  for (const end of held.splice(0)) end();
  await gateway.stop();
});

/** A stream through the gateway read until its first chunk's text; then `after` runs. */
async function cutStream(
  model: string,
  after: (reader: ReadableStreamDefaultReader<Uint8Array>) => Promise<void>,
  path = "/v1/chat/completions",
) {
  const ask =
    path === "/v1/responses"
      ? { input: "tell me a story" }
      : { max_tokens: 100, messages: [{ role: "user", content: "tell me a story" }] };
  const response = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ model, stream: true, ...ask }),
  });
  expect(response.status).toBe(200);
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  let text = "";
  while (!text.includes("world")) {
    const read = await reader.read();
    if (read.done) throw new Error("the stream ended before its first chunks");
    text += new TextDecoder().decode(read.value);
  }
  await after(reader);
  const record = await recordOf(finished, response);
  expect(finished.filter((row) => row.requestId === record.requestId)).toHaveLength(1);
  return record;
}

/** What every cut stream's row says: streamed, timed, charged for what it got so far. */
function expectChargedSoFar(record: AuditRecord) {
  expect(record.stream).toBe(true);
  expect(record.ttfbMs).not.toBeNull();
  expect(record.ttfbMs as number).toBeLessThanOrEqual(record.latencyMs);
  expect(record.inputTokens).toBeGreaterThan(0);
  expect(record.outputTokens).toBeGreaterThanOrEqual(2);
  expect(record.costUsd).toBeCloseTo(record.inputTokens + record.outputTokens, 9);
}

describe.each([
  ["/v1/chat/completions", ""],
  ["/v1/messages", ""],
  ["/v1/messages", "-messages"],
  ["/v1/responses", ""],
  ["/v1/responses", "-responses"],
])(
  "a stream cut short leaves one row, charged what was streamed so far (%s, model twin '%s')",
  (path, twin) => {
    test("by its client: 499", async () => {
      const record = await cutStream(`held${twin}`, (reader) => reader.cancel(), path);
      expect(record).toMatchObject({ status: 499, errorClass: "client_closed", model: `held${twin}` });
      expectChargedSoFar(record);
    });

    test("by its upstream: 502", async () => {
      const record = await cutStream(
        `broken${twin}`,
        async (reader) => {
          for (const end of held.splice(0)) end();
          while (!(await reader.read()).done) {
            // the error event, then the end
          }
        },
        path,
      );
      expect(record.status).toBe(502);
      expectChargedSoFar(record);
    });
  },
);
