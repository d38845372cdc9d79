/**
 * A worker that works, started for a model whose only worker's failures opened the breaker on
 * another cluster node: two `mindgw serve` nodes on one PostgreSQL and one Redis, the workers on
 * n1, every call through n2. The heartbeat is longer than the file runs: what n2 learns of n1's
 * workers, it learns from the notice n1 sends as they connect and leave.
 */
import { expect, test } from "bun:test";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { relayedNodes } from "./harness/relayed-nodes.ts";
import { createKey, type FakeProcess, spawnFakeUpstream, spawnWorker } from "./harness/spawn-worker.ts";
import { START_BOUND_MS } from "./harness/start-bound.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture<FakeProcess>({ fake: () => spawnFakeUpstream(), gateway: false });
const nodes = relayedNodes(fx, {
  database: "worker_probe",
  // Two failures open a breaker, for longer than the test runs.
  routing: { retries: 0, circuit_breaker: { failures: 2, cooldown: "10m" } },
});
const { listedOnN1 } = nodes;

test("a new worker on another node for a model whose breaker its only worker opened here is tried at once, not after the cooldown", async () => {
  const token = await createKey(nodes.holding.url, nodes.adminKey, {
    name: "fleet",
    role: "worker",
    models: ["*"],
  });
  // Its model server is not there: every call n2 forwards to it fails, and counts against n2's
  // workers/fake-model, it being the only worker, until the breaker opens.
  const broken = spawnWorker({
    gateway: nodes.holding.url,
    token,
    upstream: `http://127.0.0.1:${freePort()}/v1`,
    name: "bad",
    models: ["fake-model"],
  });
  fx.defer(() => broken.stop("SIGKILL"));
  await waitFor("n2 to read bad on n1", async () => (await listedOnN1()) === 1, START_BOUND_MS);
  const ask = () => chatAt(nodes.calling.url, nodes.adminKey, { model: "fake-model" });
  for (let i = 0; i < 2; i++) expect((await ask()).status).toBe(502);
  const open = await ask();
  expect([open.status, ((await open.json()) as { error: { code: string } }).error.code]).toEqual([
    503,
    "no_route_available",
  ]);

  // The operator stops it and starts one whose model server answers, on the same node.
  await broken.stop("SIGKILL");
  await waitFor("n2 to read bad gone", async () => (await listedOnN1()) === 0);
  const fixed = spawnWorker({
    gateway: nodes.holding.url,
    token,
    upstream: `${fx.fake.url}/v1`,
    name: "good",
    models: ["fake-model"],
  });
  fx.defer(() => fixed.stop("SIGKILL"));
  await waitFor("n2 to read good on n1", async () => (await listedOnN1()) === 1, START_BOUND_MS);
  // Before: 503 no_route_available until n2's cooldown passed (n1's own breaker was never opened).
  expect((await ask()).status).toBe(200);
  // An info line is written with its batch, a moment after: waited for, not read at once.
  await waitFor("n2's half-open line", () =>
    (nodes.calling.stdout.all + nodes.calling.stderr.all).includes(
      "a worker registered for its model on node n1",
    ),
  );
}, 90_000);
