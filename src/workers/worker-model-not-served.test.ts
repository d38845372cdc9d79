import { expect, test } from "bun:test";
import { answeredWhile, LLAMA_COMPLETION, workerGateway } from "../testing/worker-gateway.ts";
import type { GatewayFrame } from "./protocol.ts";
import { openRawWorker, type RawWorker } from "./testing/raw-worker.ts";

// A worker whose model server does not serve a model it offered (a --models naming what the server
// lacks, a vLLM restarted with another model while the worker stayed connected): its 404 is its own
// fault, so the call goes to another worker serving the model and the worker is taken out of
// rotation, where every call sent it failed 502 and it was never passed over.
const gw = workerGateway({ routing: { retries: 0 } });

const NOT_SERVED = JSON.stringify({
  object: "error",
  message: "The model `llama-small` does not exist.",
  type: "NotFoundError",
  param: null,
  code: 404,
});

/** Answers the worker's next request, if one came: 404 as vLLM without the model, or an answer. */
function answerNext(worker: RawWorker, serves: boolean): boolean {
  const at = worker.frames.findIndex((frame) => frame.type === "request");
  if (at === -1) return false;
  const { id } = worker.frames.splice(at, 1)[0] as Extract<GatewayFrame, { type: "request" }>;
  worker.send({ type: "head", id, status: serves ? 200 : 404, contentType: "application/json" });
  worker.sendChunk(id, serves ? LLAMA_COMPLETION : NOT_SERVED);
  worker.send({ type: "end", id });
  return true;
}

test("a worker whose model server does not serve the model it offered: each call goes to another worker, and the worker is taken out of rotation", async () => {
  const lacking = await openRawWorker(gw.port, gw.workerKey);
  const serving = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await lacking.register(["llama-small"], "lacking")).type).toBe("registered");
    expect((await serving.register(["llama-small"], "serving")).type).toBe("registered");
    const sentTo = { lacking: 0, serving: 0 };
    for (let i = 0; i < 8; i++) {
      const answer = fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${gw.adminKey}` },
        body: JSON.stringify({ model: "llama-small", messages: [{ role: "user", content: "hi" }] }),
      }).then(async (response) => ({ status: response.status, text: await response.text() }));
      const answered = await answeredWhile("the call's answer", answer, () => {
        if (answerNext(lacking, false)) sentTo.lacking++;
        if (answerNext(serving, true)) sentTo.serving++;
      });
      expect([i, answered.status]).toEqual([i, 200]);
    }
    // Three failures in a row take it out: it is sent no more calls in its cooldown.
    expect(sentTo).toEqual({ lacking: 3, serving: 8 });
  } finally {
    lacking.socket.close();
    serving.socket.close();
  }
});
