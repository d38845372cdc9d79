/**
 * Nodes on different `cluster.heartbeat`s (restart-only: a rolling restart that changes it leaves
 * them so until the last node restarts) each list the others for as long as their entries stand.
 * A node judged another's sealed entry by its own heartbeat: one on a fast beat read a slower
 * node's entry as none for part of every one of that node's beats, its workers unrouted there.
 */
import { beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let fast: GatewayProcess;
let redis: RedisClient;

beforeAll(async () => {
  const [postgres, server] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("heartbeats");
  // The fast node takes a sealed value for 3 × 200 ms + 200 ms + 1 s = 1.8 s by its own settings;
  // the slow one re-seals its entry every 3 s.
  fast = await fx.startNode({
    name: "fast",
    databaseUrl,
    redisUrl: server.url,
    heartbeat: "200ms",
    redisTimeout: "200ms",
  });
  await fx.startNode({ name: "slow", databaseUrl, redisUrl: server.url, heartbeat: "3s" });
  redis = new RedisClient(server.url);
  fx.defer(() => redis.close());
}, 90_000);

/** The ids of the nodes the fast node's status lists. */
async function listedByFast(): Promise<string[]> {
  const response = await fetch(`${fast.url}/admin/api/status`, {
    headers: { authorization: `Bearer ${fast.adminKey ?? ""}` },
  });
  const status = (await response.json()) as { cluster?: { nodes: { id: string }[] } };
  return (status.cluster?.nodes ?? []).map((n) => n.id).sort();
}

/** When the slow node last wrote its entry (its `at`; a sealed entry still reads as JSON). */
const slowWrote = async () => (JSON.parse((await redis.get("mgw:node:slow")) ?? "{}") as { at?: number }).at;

test("a node on a 200 ms heartbeat lists one on a 3 s heartbeat through two of its writes, without a gap", async () => {
  await waitFor("both nodes listed by the fast one", async () => (await listedByFast()).length === 2, 30_000);
  // Read the fast node's view all along two of the slow node's writes (its entry aged to 3 s twice).
  const views = new Set<string>();
  let before = await slowWrote();
  for (let writes = 0; writes < 2; writes++) {
    const seen = before;
    before = await waitFor(
      "the slow node to write its entry again",
      async () => {
        views.add((await listedByFast()).join(","));
        const at = await slowWrote();
        return at !== seen ? at : undefined;
      },
      30_000,
      50,
    );
  }
  expect([...views]).toEqual(["fast,slow"]);
});
