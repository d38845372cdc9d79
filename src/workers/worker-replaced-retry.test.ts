import { expect, test } from "bun:test";
import { LLAMA_COMPLETION, workerGateway } from "../testing/worker-gateway.ts";
import { openRawWorker, type RawWorker } from "./testing/raw-worker.ts";
import { LLAMA_STREAM } from "./testing/served-calls.ts";

// A worker that restarts under its name while a call waits on it (its old connection half-open, a
// host that froze and came back): the new connection replaces the old (4000), whose calls fail as
// the worker lost. The new one is another process that never had the call: one the caller has
// had nothing of yet goes to it at once, as to any other worker, whatever routing.retries says.
const gw = workerGateway({ routing: { retries: 0 } });

const callOf = (stream: boolean) =>
  fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${gw.adminKey}` },
    body: JSON.stringify({ model: "llama-small", stream, messages: [{ role: "user", content: "hi" }] }),
  });

for (const stream of [false, true])
  test(`a ${stream ? "stream" : "whole answer"} waiting on a worker that registers again under its name goes to its new connection at once`, async () => {
    const before = await openRawWorker(gw.port, gw.workerKey);
    const after = await openRawWorker(gw.port, gw.workerKey);
    try {
      const name = stream ? "restarted-stream" : "restarted-whole";
      expect((await before.register(["llama-small"], name)).type).toBe("registered");
      const answer = callOf(stream);
      const first = await before.next("request");
      if (stream) {
        // Its head came: nothing has reached the caller before the first event.
        before.send({ type: "head", id: first.id, status: 200, contentType: "text/event-stream" });
        await before.roundTrip();
      }
      expect((await after.register(["llama-small"], name)).type).toBe("registered");
      expect((await before.waitClosed()).code).toBe(4000);
      const retried = await after.next("request");
      after.send({
        type: "head",
        id: retried.id,
        status: 200,
        contentType: stream ? "text/event-stream" : "application/json",
      });
      after.sendChunk(retried.id, stream ? LLAMA_STREAM : LLAMA_COMPLETION);
      after.send({ type: "end", id: retried.id });
      const response = await answer;
      expect([response.status, await response.text()]).toEqual([
        200,
        stream ? LLAMA_STREAM : LLAMA_COMPLETION,
      ]);
    } finally {
      before.socket.close();
      after.socket.close();
    }
  }, 60_000);

test("a worker that registers again under its name a second time while the same call waits is not sent it a third time", async () => {
  const workers = [];
  try {
    for (let n = 0; n < 3; n++) workers.push(await openRawWorker(gw.port, gw.workerKey));
    const [first, second, third] = workers as [RawWorker, RawWorker, RawWorker];
    expect((await first.register(["llama-small"], "restarting")).type).toBe("registered");
    const answer = callOf(false);
    await first.next("request");
    expect((await second.register(["llama-small"], "restarting")).type).toBe("registered");
    await second.next("request");
    expect((await third.register(["llama-small"], "restarting")).type).toBe("registered");
    const response = await answer;
    expect(response.status).toBe(502);
    // Its calls fail saying why: the new connection, not a loss (tunnel-failures.ts REPLACED).
    expect(((await response.json()) as { error: { code: string; message: string } }).error).toMatchObject({
      code: "worker_lost",
      message: "worker restarting was disconnected: a newer connection registered under its name",
    });
    expect(third.frames.filter((frame) => frame.type === "request")).toEqual([]);
  } finally {
    for (const worker of workers) worker.socket.close();
  }
}, 60_000);
