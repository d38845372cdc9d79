import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { AuditRecord } from "../audit/audit-record.ts";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway, recordOf } from "../testing/recording-gateway.ts";
import { openRawWorker } from "./testing/raw-worker.ts";

// A stream a worker serves, cut short by the worker's loss or by its client: one audit row naming
// the worker, its status, and the tokens and cost of what was streamed so far.
const PRICE = { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 };
const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 7, model: "up", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const dir = mkdtempSync(join(tmpdir(), "mindgw-worker-lost-row-"));
let gateway: Gateway;
let finished: AuditRecord[];
let adminKey = "";
let workerKey = "";
let port = 0;

beforeAll(async () => {
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    routing: { retries: 0 },
    prices: { "llama-small": PRICE },
  });
  ({ gateway, adminKey, finished } = await recordingGateway(config));
  port = gateway.listen("127.0.0.1", 0).port;
  const created = await fetch(`http://127.0.0.1:${port}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name: "gpu", role: "worker", models: ["*"] }),
  });
  expect(created.status).toBe(201);
  workerKey = ((await created.json()) as { key: string }).key;
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** A stream served by a fresh worker `name`, read until its first text; then `cut` runs. */
async function servedThenCut(
  name: string,
  cut: (worker: WebSocket, reader: ReadableStreamDefaultReader<Uint8Array>) => Promise<void>,
) {
  const worker = await openRawWorker(port, workerKey);
  expect((await worker.register(["llama-small"], name)).type).toBe("registered");
  try {
    const answer = fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
      body: JSON.stringify({
        model: "llama-small",
        stream: true,
        messages: [{ role: "user", content: "tell me a story" }],
      }),
    });
    const request = await worker.next("request");
    worker.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
    worker.sendChunk(request.id, chunk("Hello") + chunk(" world"));
    const response = await answer;
    expect(response.status).toBe(200);
    const reader = (response.body as ReadableStream<Uint8Array>).getReader();
    let text = "";
    while (!text.includes("world")) {
      const read = await reader.read();
      if (read.done) throw new Error("the stream ended before its first chunks");
      text += new TextDecoder().decode(read.value);
    }
    await cut(worker.socket, reader);
    const record = await recordOf(finished, response);
    expect(finished.filter((row) => row.requestId === record.requestId)).toHaveLength(1);
    expect(record.route).toBe(`worker:${name}`);
    expect(record.stream).toBe(true);
    expect(record.ttfbMs as number).toBeLessThanOrEqual(record.latencyMs);
    expect(record.inputTokens).toBeGreaterThan(0);
    expect(record.outputTokens).toBeGreaterThanOrEqual(2);
    expect(record.costUsd).toBeCloseTo(record.inputTokens + record.outputTokens, 9);
    return record;
  } finally {
    worker.socket.close();
  }
}

test("a worker lost mid-stream: one row, worker_lost, charged what was streamed so far", async () => {
  const record = await servedThenCut("lost", async (worker, reader) => {
    worker.close();
    while (!(await reader.read()).done) {
      // the error event, then the end
    }
  });
  expect([record.status, record.errorClass]).toEqual([502, "worker_lost"]);
});

test("a client that leaves a worker's stream: one row, 499, charged what was streamed so far", async () => {
  const record = await servedThenCut("left", (_worker, reader) => reader.cancel());
  expect([record.status, record.errorClass]).toEqual([499, "client_closed"]);
});
