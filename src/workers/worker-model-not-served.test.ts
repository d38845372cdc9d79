import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { EMBEDDED_DEFAULTS, parseConfig } from "../config/load-config.ts";
import type { Gateway } from "../gateway/create-gateway.ts";
import { recordingGateway } from "../testing/recording-gateway.ts";
import type { GatewayFrame } from "./protocol.ts";
import { openRawWorker, type RawWorker } from "./testing/raw-worker.ts";
import { waitFor } from "./testing/tunnel-harness.ts";

// A worker whose model server does not serve a model it offered (a --models naming what the server
// lacks, a vLLM restarted with another model while the worker stayed connected): its 404 is its own
// fault, so the call goes to another worker serving the model and the worker is taken out of
// rotation, where every call sent it failed 502 and it was never passed over.
const dir = mkdtempSync(join(tmpdir(), "mindgw-model-not-served-"));
let gateway: Gateway;
let adminKey = "";
let workerKey = "";
let port = 0;

beforeAll(async () => {
  const config = parseConfig({
    ...EMBEDDED_DEFAULTS,
    storage: { path: join(dir, "gw.db") },
    routing: { retries: 0 },
  });
  ({ gateway, adminKey } = await recordingGateway(config));
  port = gateway.listen("127.0.0.1", 0).port;
  const created = await fetch(`http://127.0.0.1:${port}/admin/api/keys`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
    body: JSON.stringify({ name: "gpu", role: "worker", models: ["*"] }),
  });
  workerKey = ((await created.json()) as { key: string }).key;
});

afterAll(async () => {
  await gateway.stop();
  rmSync(dir, { recursive: true, force: true });
});

const COMPLETION = JSON.stringify({
  id: "c1",
  object: "chat.completion",
  created: 7,
  model: "llama-small",
  choices: [{ index: 0, message: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
});
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
  worker.sendChunk(id, serves ? COMPLETION : NOT_SERVED);
  worker.send({ type: "end", id });
  return true;
}

test("a worker whose model server does not serve the model it offered: each call goes to another worker, and the worker is taken out of rotation", async () => {
  const lacking = await openRawWorker(port, workerKey);
  const serving = await openRawWorker(port, workerKey);
  try {
    expect((await lacking.register(["llama-small"], "lacking")).type).toBe("registered");
    expect((await serving.register(["llama-small"], "serving")).type).toBe("registered");
    const sentTo = { lacking: 0, serving: 0 };
    for (let i = 0; i < 8; i++) {
      const answer = fetch(`http://127.0.0.1:${port}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${adminKey}` },
        body: JSON.stringify({ model: "llama-small", messages: [{ role: "user", content: "hi" }] }),
      }).then(async (response) => ({ status: response.status, text: await response.text() }));
      let answered: { status: number; text: string } | undefined;
      void answer.then((got) => {
        answered = got;
      });
      await waitFor("the call's answer", () => {
        if (answerNext(lacking, false)) sentTo.lacking++;
        if (answerNext(serving, true)) sentTo.serving++;
        return answered !== undefined;
      });
      expect([i, answered?.status]).toEqual([i, 200]);
    }
    // Three failures in a row take it out: it is sent no more calls in its cooldown.
    expect(sentTo).toEqual({ lacking: 3, serving: 8 });
  } finally {
    lacking.socket.close();
    serving.socket.close();
  }
});
