/**
 * A cluster node started while its Redis is down (a rollout during a Redis outage, a node up
 * before Redis in a compose file), Redis started only after it: DEPLOYMENT.md ("Redis down", the
 * node name's lease) promises that it starts and serves on local limits, ready, writing no
 * directory entry while Redis is away, and that once Redis answers it shares limits, takes its
 * name and is listed by every node, without a restart.
 */
import { beforeAll, expect, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import { type RedisServer, startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

let postgres: PostgresServer;
let redis: RedisServer;
let databaseUrl: string;

const fx = gatewayFixture({ fake: null, gateway: false });

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  databaseUrl = await postgres.createDatabase("late_redis");
  // Down before any node starts: its port known, nothing listening there.
  await redis.kill();
}, 90_000);

interface Status {
  cluster?: { redis: string; limits: string; nodes: { id: string }[] };
}

const statusOf = async (node: GatewayProcess, adminKey: string): Promise<Status> =>
  (
    await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${adminKey}` } })
  ).json() as Promise<Status>;

const chat = (node: GatewayProcess, adminKey: string) =>
  fetch(`${node.url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model: "mock", messages: [{ role: "user", content: "hi" }] }),
  });

test("a node started while Redis is down starts and serves on local limits, ready; once Redis is started it shares limits and is listed by every node", async () => {
  const early = await fx.startNode({ name: "early", databaseUrl, redisUrl: redis.url });
  const adminKey = early.adminKey ?? "";
  expect(adminKey).not.toBe("");
  const ready = await fetch(`${early.url}/readyz`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ status: "ready", cluster: { redis: "down" } });
  expect((await chat(early, adminKey)).status).toBe(200);

  await redis.start();
  await waitFor(
    "the early node on Redis, listed in its own directory",
    async () => {
      const { cluster } = await statusOf(early, adminKey);
      return cluster?.redis === "up" && cluster.limits === "shared" && cluster.nodes.length === 1;
    },
    20_000,
  );
  expect((await chat(early, adminKey)).status).toBe(200);
  expect(await (await fetch(`${early.url}/readyz`)).json()).toMatchObject({
    status: "ready",
    cluster: { redis: "up" },
  });

  // A node started now finds it in the shared directory, as it finds the new node.
  const late = await fx.startNode({ name: "late", databaseUrl, redisUrl: redis.url });
  for (const node of [early, late])
    await waitFor(
      `both nodes listed by ${node.url}`,
      async () => (await statusOf(node, adminKey)).cluster?.nodes.length === 2,
      20_000,
    );
}, 120_000);
