import { afterEach, expect, test } from "bun:test";
import type { JsonObject } from "../core/dialect.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import { receivedAs } from "../routing/router-test-kit.ts";
import { createWorkersProvider } from "../workers/gateway/worker-provider.ts";
import { openRawWorker } from "../workers/testing/raw-worker.ts";
import { startGateway, type TestGateway } from "../workers/testing/tunnel-harness.ts";
import { callShadow } from "./shadow-call.ts";

// A copy to `provider: workers` whose worker goes away while it answers: the copy is over at
// once, recorded as the failure it is, never left to its own timeout (a slot of the cap held).

let gateway: TestGateway;
afterEach(async () => {
  await gateway?.stop();
});

function streamedChat(): DispatchRequest {
  const body: JsonObject = { model: "m", stream: true, messages: [{ role: "user", content: "hi" }] };
  return {
    operation: "chat",
    body,
    model: "m",
    stream: true,
    requestId: "req_worker_copy",
    serial: 1,
    signal: new AbortController().signal,
    tenant: "default",
    received: receivedAs(body),
  };
}

test("a worker lost mid-stream ends its copy at once as worker_lost, the copy's own timeout untouched", async () => {
  gateway = startGateway();
  const raw = await openRawWorker(gateway.port);
  await raw.register();
  const route: Route = {
    provider: createWorkersProvider(gateway.registry),
    upstreamModel: "llama-small",
    weight: 1,
    timeouts: { connectMs: 60_000, firstByteMs: 60_000, idleMs: 60_000 },
    key: "workers/llama-small",
    label: "workers",
  };
  const own = new AbortController();
  const pending = callShadow(route, streamedChat(), own.signal);
  const request = await raw.next("request");
  raw.send({ type: "head", id: request.id, status: 200, contentType: "text/event-stream" });
  raw.sendChunk(request.id, 'data: {"choices":[{"index":0,"delta":{"content":"hel"}}]}\n\n');
  await raw.roundTrip();
  raw.socket.close();
  const outcome = await pending;
  expect(own.signal.aborted).toBe(false);
  expect(outcome).toMatchObject({
    status: 502,
    errorClass: "worker_lost",
    answer: null,
    servedBy: "worker:raw",
  });
});
