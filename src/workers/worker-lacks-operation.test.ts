import { expect, test } from "bun:test";
import { recordingLogger } from "../testing/recording-logger.ts";
import { answeredWhile, LLAMA_COMPLETION, workerGateway } from "../testing/worker-gateway.ts";
import type { GatewayFrame } from "./protocol.ts";
import { openRawWorker, type RawWorker } from "./testing/raw-worker.ts";

// A chat-only worker (a vLLM serving a generative model registers no /v1/embeddings route, and
// FastAPI answers it `{"detail":"Not Found"}`) asked for embeddings of its model: the 404 says its
// server lacks that operation, not that the worker is broken for the model it offered. Counted as
// the worker's fault, a few embeddings calls opened the breaker of `workers/<model>` (or took the
// worker out of rotation) and its chat callers got a 503 for a cooldown.
const { logger, lines } = recordingLogger();
const gw = workerGateway(
  { routing: { retries: 0, circuit_breaker: { failures: 2, cooldown: "10m" } } },
  logger,
);

/** FastAPI's answer for a path it has no route for: vLLM's for /v1/embeddings of a generative model. */
const NO_ROUTE = JSON.stringify({ detail: "Not Found" });

/** The gateway's words for it, the caller's and the operator's `route failed` line's. */
const NO_PATH =
  "worker chat-only's model server answered 404: no route for the call's path there (an operation it does not serve, or a wrong --upstream)";

/** Answers the worker's next request, if one came: chat as served, anything else as a route it lacks. */
function answerNext(worker: RawWorker, paths: string[]): boolean {
  const at = worker.frames.findIndex((frame) => frame.type === "request");
  if (at === -1) return false;
  const { id, path } = worker.frames.splice(at, 1)[0] as Extract<GatewayFrame, { type: "request" }>;
  paths.push(path);
  const chat = path === "/chat/completions";
  worker.send({ type: "head", id, status: chat ? 200 : 404, contentType: "application/json" });
  worker.sendChunk(id, chat ? LLAMA_COMPLETION : NO_ROUTE);
  worker.send({ type: "end", id });
  return true;
}

/** Sends `body` to `path` and answers what reaches the worker until the call is answered. */
async function call(worker: RawWorker, path: string, body: object, paths: string[]) {
  const answer = fetch(`http://127.0.0.1:${gw.port}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${gw.adminKey}` },
    body: JSON.stringify(body),
  }).then(async (response) => ({
    status: response.status,
    shouldRetry: response.headers.get("x-should-retry"),
    body: (await response.json()) as { error?: { message: string } },
  }));
  return answeredWhile("the call's answer", answer, () => answerNext(worker, paths));
}

test("embeddings asked of a chat-only worker: each refused in words that say so, and its chat callers are served on (no breaker opened, no ejection)", async () => {
  const worker = await openRawWorker(gw.port, gw.workerKey);
  try {
    expect((await worker.register(["llama-small"], "chat-only")).type).toBe("registered");
    const paths: string[] = [];
    for (let i = 0; i < 5; i++) {
      const refused = await call(worker, "/v1/embeddings", { model: "llama-small", input: "hi" }, paths);
      // The same refusal each time (its server has no embeddings), never the open breaker's 503;
      // not worth a client's retry.
      expect([i, refused.status, refused.shouldRetry]).toEqual([i, 502, "false"]);
      // Both causes, as a direct route's words name them: a wrong `--upstream` (no `/v1`, or a
      // doubled one) meets the same 404 on every call, and nothing else would say so.
      expect(refused.body.error?.message).toBe(NO_PATH);
    }
    const failed = lines.filter((line) => line.message === "route failed");
    expect(failed.map((line) => [line.fields?.route, line.fields?.reason])).toEqual(
      Array(5).fill(["worker:chat-only", NO_PATH]),
    );
    const chat = await call(
      worker,
      "/v1/chat/completions",
      { model: "llama-small", messages: [{ role: "user", content: "hi" }] },
      paths,
    );
    expect(chat.status).toBe(200);
    expect(paths).toEqual([...Array(5).fill("/embeddings"), "/chat/completions"]);
    const listed = await fetch(`http://127.0.0.1:${gw.port}/admin/api/workers`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    const { workers } = (await listed.json()) as { workers: { name: string; ejectedUntil?: number }[] };
    expect(workers.find((w) => w.name === "chat-only")?.ejectedUntil).toBeUndefined();
    // Counted apart, as a direct route's such 404 is: what MindgwRouteNoSuchPath fires on.
    const metrics = await fetch(`http://127.0.0.1:${gw.port}/metrics`, {
      headers: { authorization: `Bearer ${gw.adminKey}` },
    });
    const scraped = await metrics.text();
    expect(scraped).toContain(
      'mindgw_upstream_attempts_total{provider="workers",outcome="no_such_path"} 5\n',
    );
  } finally {
    worker.socket.close();
  }
});
