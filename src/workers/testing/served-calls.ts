import { waitForValue } from "../../testing/wait-for.ts";
import { LLAMA_COMPLETION, type WorkerGateway } from "../../testing/worker-gateway.ts";
import type { GatewayFrame } from "../protocol.ts";
import type { RawWorker } from "./raw-worker.ts";

// Calls to a gateway whose raw workers play their model servers by hand (answering, holding or
// half-answering each call), and what the gateway then says of those workers: the hung-server
// tests' (src/workers/worker-hung-*.test.ts).

export type RequestFrame = Extract<GatewayFrame, { type: "request" }>;

/** A stream's answer, as a worker's model server sends it. */
export const LLAMA_STREAM = `data: ${JSON.stringify({
  id: "c1",
  object: "chat.completion.chunk",
  created: 7,
  model: "llama-small",
  choices: [{ index: 0, delta: { role: "assistant", content: "hi" }, finish_reason: "stop" }],
})}\n\ndata: [DONE]\n\n`;

/** The next request the worker was sent, taken off its frames; undefined when none came. */
export function nextRequest(worker: RawWorker): RequestFrame | undefined {
  const at = worker.frames.findIndex((frame) => frame.type === "request");
  return at === -1 ? undefined : (worker.frames.splice(at, 1)[0] as RequestFrame);
}

/** Answers each request the worker was sent, whole or as a stream, as its model server would. */
export function answerAll(worker: RawWorker): number {
  let answered = 0;
  for (let request = nextRequest(worker); request; request = nextRequest(worker)) {
    const { id, stream } = request;
    worker.send({
      type: "head",
      id,
      status: 200,
      contentType: stream ? "text/event-stream" : "application/json",
    });
    worker.sendChunk(id, stream ? LLAMA_STREAM : LLAMA_COMPLETION);
    worker.send({ type: "end", id });
    answered++;
  }
  return answered;
}

/** One chat call of the gateway's for `model`; its status once its answer is read whole. */
export async function chat(
  gw: WorkerGateway,
  stream: boolean,
  signal?: AbortSignal,
  model = "llama-small",
): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${gw.port}/v1/chat/completions`, {
    method: "POST",
    signal,
    headers: { "content-type": "application/json", authorization: `Bearer ${gw.adminKey}` },
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
  });
  await response.text();
  return response.status;
}

/** Runs `call` to its end, `step` run at each poll meanwhile (the raw workers' model servers). */
export async function whileServing<T>(call: Promise<T>, step: () => void): Promise<T> {
  let settled: { value: T } | undefined;
  void call.then((value) => {
    settled = { value };
  });
  return (
    await waitForValue(
      "the call's end",
      () => {
        step();
        return settled;
      },
      30_000,
    )
  ).value;
}

/** The workers as the admin API lists them. */
export async function listed(gw: WorkerGateway): Promise<{ name: string; ejectedUntil?: number }[]> {
  const body = (await (await gw.call("GET", "/admin/api/workers")).json()) as {
    workers: { name: string; ejectedUntil?: number }[];
  };
  return body.workers;
}

/** When `name` is out of rotation until (epoch ms); undefined while in it. */
export async function ejectedUntil(gw: WorkerGateway, name: string): Promise<number | undefined> {
  return (await listed(gw)).find((worker) => worker.name === name)?.ejectedUntil;
}
