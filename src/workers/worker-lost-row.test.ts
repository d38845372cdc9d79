import { expect, test } from "bun:test";
import { recordOf } from "../testing/recording-gateway.ts";
import { workerGateway } from "../testing/worker-gateway.ts";
import { openRawWorker } from "./testing/raw-worker.ts";

// A stream a worker serves, cut short by the worker's loss or by its client: one audit row naming
// the worker, its status, and the tokens and cost of what was streamed so far.
const PRICE = { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 };
const chunk = (content: string) =>
  `data: ${JSON.stringify({ id: "c1", object: "chat.completion.chunk", created: 7, model: "up", choices: [{ index: 0, delta: { content }, finish_reason: null }] })}\n\n`;
const gw = workerGateway({ routing: { retries: 0 }, prices: { "llama-small": PRICE } });

/** A stream served by a fresh worker `name`, read until its first text; then `cut` runs. */
async function servedThenCut(
  name: string,
  cut: (worker: WebSocket, reader: ReadableStreamDefaultReader<Uint8Array>) => Promise<void>,
) {
  const worker = await openRawWorker(gw.port, gw.workerKey);
  expect((await worker.register(["llama-small"], name)).type).toBe("registered");
  try {
    const answer = fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${gw.adminKey}` },
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
    const record = await recordOf(gw.finished, response);
    expect(gw.finished.filter((row) => row.requestId === record.requestId)).toHaveLength(1);
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
