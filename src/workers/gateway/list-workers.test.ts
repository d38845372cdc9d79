import { expect, test } from "bun:test";
import { listWorkers } from "./list-workers.ts";
import { createWorkerRegistry } from "./worker-registry.ts";

test("the list says the gateway's heartbeat and its timeout, what a reader judges each lastHeartbeatAt by", () => {
  // workers.heartbeat_timeout: 150s, a heartbeat every 50 s (build-workers.ts).
  const registry = createWorkerRegistry({ heartbeatMs: 50_000, heartbeatTimeoutMs: 150_000 });
  expect(listWorkers(registry, null)).toEqual({
    workers: [],
    heartbeatMs: 50_000,
    heartbeatTimeoutMs: 150_000,
  });
  registry.close();
});
