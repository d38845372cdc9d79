import { expect, test } from "bun:test";
import type { RegisteredWorker } from "../workers/gateway/registered-worker.ts";
import { SERVED_BY_HEADER } from "../workers/gateway/tunnel-exchange.ts";
import { createWorkersProvider } from "../workers/gateway/worker-provider.ts";
import { createWorkerRegistry } from "../workers/gateway/worker-registry.ts";
import { HEADER_VALUE } from "../workers/protocol.ts";
import { silentLog } from "../workers/worker-log.ts";
import { CLUSTER_HEADER } from "./cluster-secret.ts";
import { FORWARD_ERROR_HEADER, FORWARD_PATH, forwardEndpoint } from "./forward-endpoint.ts";
import { servedByRead } from "./served-by-wire.ts";

const SECRET = "test-cluster-secret-0123456789";

/** A node holding one worker of one slot, taken unless `inFlight` is 0: whatever reaches the worker is recorded. */
function holdingNode(inFlight = 1, name = "w1", answer?: Response) {
  const registry = createWorkerRegistry();
  const sent: string[] = [];
  const reached = (request: { requestId: string }) => {
    sent.push(request.requestId);
    return answer ? Promise.resolve(answer) : Promise.reject(new Error("sent on to the worker"));
  };
  const w1: RegisteredWorker = {
    id: "w1",
    name,
    owner: "fleet",
    tenant: "default",
    models: ["m"],
    capacity: 1,
    labels: {},
    inFlight,
    lastHeartbeatAt: 0,
    draining: false,
    open: reached,
    openWhole: reached,
    openFeed: reached,
    close() {},
  };
  registry.add(w1);
  const app = forwardEndpoint({
    secret: SECRET,
    nodeId: "node-b",
    workers: createWorkersProvider(registry),
    registry,
    log: silentLog,
  });
  const forward = (requestId: string) =>
    app.handle(
      new Request(`http://node-b${FORWARD_PATH}`, {
        method: "POST",
        headers: { [CLUSTER_HEADER]: SECRET, "content-type": "application/json" },
        body: JSON.stringify({
          operation: "chat",
          body: { model: "m", messages: [] },
          stream: false,
          requestId,
          forwardId: crypto.randomUUID(),
          worker: name,
        }),
      }),
    );
  return { w1, sent, forward };
}

test("a forward over HTTP naming a worker that has filled or begun to drain is refused in a local caller's words, with their Retry-After, and not sent on", async () => {
  const { w1, sent, forward } = holdingNode();
  const refusal = async (response: Response) => ({
    status: response.status,
    node: response.headers.get(FORWARD_ERROR_HEADER),
    retryAfter: response.headers.get("retry-after"),
    message: ((await response.json()) as { message: string }).message,
  });
  // The calling node read a free slot a heartbeat ago. It was sent on, and refused by the worker in
  // its own words ("worker w1: worker is at its concurrency limit").
  expect(await refusal(await forward("r1"))).toEqual({
    status: 503,
    node: "node-b",
    retryAfter: "1",
    message: "every worker serving m is at capacity",
  });
  w1.draining = true;
  expect(await refusal(await forward("r2"))).toEqual({
    status: 503,
    node: "node-b",
    retryAfter: "5",
    message: "every worker serving m is draining",
  });
  expect(sent).toEqual([]);
});

test("a forward over HTTP naming a worker that no longer serves the model (its key narrowed) is refused as a local caller is, and not sent on", async () => {
  // A slot free, but the key narrowed since the calling node read the directory (serveOnly).
  const { w1, sent, forward } = holdingNode(0);
  w1.models = ["n"];
  const response = await forward("r3");
  expect({
    status: response.status,
    node: response.headers.get(FORWARD_ERROR_HEADER),
    body: await response.json(),
  }).toEqual({
    status: 503,
    node: "node-b",
    body: {
      status: 503,
      code: "no_route_available",
      message: "no connected worker serves m",
      retryable: true,
    },
  });
  expect(sent).toEqual([]);
});

test("a forward over HTTP answered by a worker named in letters beyond ASCII names it in its served-by header, escaped as a header value holds it, read back whole", async () => {
  const name = "gpu-café 🚀 100%";
  const { forward } = holdingNode(0, name, Response.json({ id: "c1" }));
  const response = await forward("r1");
  expect(response.status).toBe(200);
  const wire = response.headers.get(SERVED_BY_HEADER) ?? "";
  expect(wire).toMatch(HEADER_VALUE);
  expect(servedByRead(wire)).toBe(`worker:${name}@node-b`);
});
