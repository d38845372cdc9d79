/**
 * A worker that drains on a cluster: three `mindgw serve` nodes on one PostgreSQL and one Redis,
 * a worker behind node B with much room and one behind node C with little. The heartbeat is
 * longer than any test: what a node learns of another's workers within a test, it learns from the
 * notice a node sends when its workers change (a worker connects, leaves or starts draining).
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { auditRow } from "./harness/admin-api.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  createKey,
  type FakeProcess,
  listWorkers,
  spawnFakeUpstream,
  spawnWorker,
  type WorkerProcess,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

let nodes: GatewayProcess[] = [];
let adminKey: string;
let fake: FakeProcess;
const [A, B, C] = [0, 1, 2] as const;
const node = (i: number) => nodes[i]!;
/** Longer than the file runs: no node re-reads the directory on its own timer meanwhile. */
const HEARTBEAT = "10m";

const fx = gatewayFixture<FakeProcess>({ fake: () => spawnFakeUpstream(), gateway: false });

interface NodesStatus {
  cluster?: { nodes: { id: string; workers: number; draining: number }[] };
}

/** How node `i` last read node `id`'s entry in the directory (`/admin/api/status`). */
async function listed(i: number, id: string) {
  const response = await fetch(`${node(i).url}/admin/api/status`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  return ((await response.json()) as NodesStatus).cluster?.nodes.find((n) => n.id === id);
}

beforeAll(async () => {
  fake = fx.fake;
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("drain");
  const first = await fx.startNode({
    name: "node-a",
    databaseUrl,
    redisUrl: redis.url,
    heartbeat: HEARTBEAT,
  });
  adminKey = first.adminKey ?? "";
  const rest = await Promise.all(
    ["node-b", "node-c"].map((name) =>
      fx.startNode({ name, databaseUrl, redisUrl: redis.url, heartbeat: HEARTBEAT }),
    ),
  );
  nodes = [first, ...rest];
}, 90_000);

describe("a worker that drains behind one cluster node", () => {
  const workers = new Map<string, WorkerProcess>();

  beforeAll(async () => {
    const token = await createKey(node(B).url, adminKey, { name: "fleet", role: "worker", models: ["*"] });
    const start = (name: string, at: number, concurrency: number) => {
      const worker = spawnWorker({
        gateway: node(at).url,
        token,
        upstream: `${fake.url}/v1`,
        name,
        models: ["fake-model"],
        concurrency,
      });
      workers.set(name, worker);
      fx.defer(() => worker.stop("SIGKILL"));
    };
    // w1 has the room: while it takes calls, node A forwards them to it.
    start("w1", B, 16);
    start("w2", C, 2);
    await waitForWorkers(node(B).url, adminKey, ["w1"]);
    await waitForWorkers(node(C).url, adminKey, ["w2"]);
    // Node A learns of both from their nodes' notices, not from a heartbeat.
    await waitFor("node A to list both workers", async () => {
      const [b, c] = [await listed(A, "node-b"), await listed(A, "node-c")];
      return b?.workers === 1 && c?.workers === 1;
    });
  }, 60_000);

  test("every node stops choosing it as soon as it drains: node A lists it draining, sends its calls elsewhere, and with none else refuses them itself", async () => {
    const before = await chatAt(node(A).url, adminKey, { model: "fake-model", id: "drain-before" });
    expect(before.status).toBe(200);
    expect((await auditRow({ url: node(A).url, adminKey }, "drain-before")).route).toBe("worker:w1@node-b");
    // A stream w1 is still serving while it drains (node B gives it to its own worker).
    const held = await chatAt(node(B).url, adminKey, {
      model: "fake-model",
      stream: true,
      content: "hold on [[fake:chunks=30,chunk-delay=100]]",
    });
    const reader = held.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    const w1 = workers.get("w1")!;
    w1.proc.kill("SIGTERM");
    await waitFor("node B to see w1 draining", async () =>
      (await listWorkers(node(B).url, adminKey)).some((w) => w.name === "w1" && w.draining),
    );
    // Node A's status names it from the directory, well before any heartbeat.
    await waitFor("node A to list w1 as draining", async () => (await listed(A, "node-b"))?.draining === 1);
    for (const n of [1, 2, 3]) {
      const id = `drain-after-${n}`;
      const response = await chatAt(node(A).url, adminKey, { model: "fake-model", id });
      expect(response.status).toBe(200);
      expect((await auditRow({ url: node(A).url, adminKey }, id)).route).toBe("worker:w2@node-c");
    }

    // With w2 gone, only a draining worker serves the model: node A says so itself, to come back in
    // 5 s. Had it chosen w1, the refusal would be w1's own ("worker w1@node-b: worker is draining").
    await workers.get("w2")!.stop("SIGKILL");
    await waitFor("node A to see w2 gone", async () => (await listed(A, "node-c"))?.workers === 0);
    const refused = await chatAt(node(A).url, adminKey, { model: "fake-model" });
    expect([refused.status, refused.headers.get("retry-after")]).toEqual([503, "5"]);
    expect(((await refused.json()) as { error: { message: string } }).error.message).toBe(
      "every worker serving fake-model is draining (as other nodes last reported)",
    );

    // Its stream ends whole, and it stops.
    let text = "";
    const decoder = new TextDecoder();
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
      text += decoder.decode(chunk.value, { stream: true });
    expect(text).toContain("data: [DONE]");
    expect(await w1.stop("SIGTERM", 20_000)).toBe(0);
  }, 90_000);
});
