import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";

// A stream cut short, by its client or by its upstream: one row, its status, its first token's
// time within its latency, and the tokens and cost of what was streamed so far.
const chunk = (delta: object) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 7, model: "up", choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
const encoder = new TextEncoder();
const PRICE = { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 };
let dir: string;
let upstream: ReturnType<typeof Bun.serve>;
let gateway: Gateway;
let finished: AuditRecord[];
let adminKey = "";
let url = "";
/** The held streams' ends, run at the end so no upstream body outlives the file. */
const held: (() => void)[] = [];

beforeAll(async () => {
  upstream = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      const { model } = (await request.json()) as { model: string };
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(
            encoder.encode(chunk({ role: "assistant", content: "Hello" }) + chunk({ content: " world" })),
          );
          // `held` waits for the client to leave; `broken` breaks its body once the client read it.
          held.push(() => {
            try {
              if (model === "broken") controller.error(new Error("upstream died"));
              else controller.close();
            } catch {
              // Its client left first: the gateway cancelled the body.
            }
          });
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    },
  });
  dir = mkdtempSync(join(tmpdir(), "mindgw-cut-stream-"));
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    providers: [{ name: "up", type: "openai", base_url: `http://127.0.0.1:${upstream.port}/v1` }],
    models: ["held", "broken"].map((name) => ({ name, routes: [{ provider: "up", model: name }] })),
    routing: { retries: 0 },
    prices: { held: PRICE, broken: PRICE },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  url = `http://127.0.0.1:${gateway.listen("127.0.0.1", 0).port}`;
});

afterAll(async () => {
  for (const end of held.splice(0)) end();
  await gateway.stop();
  upstream.stop(true);
  rmSync(dir, { recursive: true, force: true });
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

describe.each(["/v1/chat/completions", "/v1/messages", "/v1/responses"])(
  "a stream cut short leaves one row, charged what was streamed so far (%s)",
  (path) => {
    test("by its client: 499", async () => {
      const record = await cutStream("held", (reader) => reader.cancel(), path);
      expect(record).toMatchObject({ status: 499, errorClass: "client_closed", model: "held" });
      expectChargedSoFar(record);
    });

    test("by its upstream: 502", async () => {
      const record = await cutStream(
        "broken",
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
