/**
 * PostgreSQL unreachable while a cluster runs and while a node starts (DEPLOYMENT.md, "Several
 * nodes"): the running node answers 503 and serves again once the database is back, without a
 * restart; a node started meanwhile does not start (exit 1), its log saying which database it could
 * not reach and why, so that its supervisor starts it again; started again once the database is
 * back, it joins the cluster.
 */
import { beforeAll, expect, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import { type RedisServer, startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let postgres: PostgresServer;
let redis: RedisServer;
let databaseUrl: string;
let first: GatewayProcess;

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  databaseUrl = await postgres.createDatabase("postgres_down");
  first = await fx.startNode({ name: "first", databaseUrl, redisUrl: redis.url });
}, 90_000);

const nodesListed = async (node: GatewayProcess, adminKey: string) =>
  (
    (await (
      await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { cluster?: { nodes: { id: string }[] } }
  ).cluster?.nodes.length;

test("PostgreSQL down: the running node answers 503 and serves again once it is back; a node started meanwhile exits 1 naming the database and why, and joins when started again", async () => {
  const adminKey = first.adminKey ?? "";
  expect((await chatAt(first.url, adminKey)).status).toBe(200);
  await postgres.kill();
  try {
    await waitFor(
      "a 503 from the running node",
      async () => (await chatAt(first.url, adminKey)).status === 503,
      20_000,
    );
    const refused = await fx.startNode({ name: "second", databaseUrl, redisUrl: redis.url }).then(
      () => null,
      (error: unknown) => (error instanceof Error ? error.message : String(error)),
    );
    expect(refused).toStartWith("gateway exited with 1:");
    const where = `127.0.0.1:${postgres.port}/postgres_down`;
    expect(refused).toContain(`cannot connect to PostgreSQL at ${where}: connection refused`);
  } finally {
    await postgres.start();
  }
  await waitFor(
    "the running node to serve again",
    async () => (await chatAt(first.url, adminKey)).status === 200,
    30_000,
  );
  const second = await fx.startNode({ name: "second", databaseUrl, redisUrl: redis.url });
  expect((await chatAt(second.url, adminKey)).status).toBe(200);
  await waitFor(
    "both nodes listed by the first",
    async () => (await nodesListed(first, adminKey)) === 2,
    20_000,
  );
}, 120_000);
