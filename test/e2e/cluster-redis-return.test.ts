/**
 * A Redis restart (a crash without persistence: every key gone) while a cluster runs on a long
 * heartbeat. Each node writes its directory entry again as it reaches Redis again, but they reach it
 * one after the other: the node back first reads a directory without the other, and must learn of
 * the other's entry as it is written, not at its own next heartbeat (ten minutes here) — meanwhile it
 * routes nothing to the other's workers and divides its limits by the wrong count of nodes. Nor
 * may that first read tell its live stream the other node left (`node.left`: `mindgw tail` would
 * end that node's requests in flight as lost): its entry is not written again yet, that is all.
 */
import { beforeAll, expect, test } from "bun:test";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type HoldingProxy, startHoldingProxy } from "./harness/holding-proxy.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { type RedisServer, startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let redis: RedisServer;
/** Between the `late` node and Redis: holds what it sends, so it is back after the other. */
let proxy: HoldingProxy;
let late: GatewayProcess;
let early: GatewayProcess;

beforeAll(async () => {
  const [postgres, started] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  redis = started;
  proxy = fx.own(await startHoldingProxy({ hostname: "127.0.0.1", port: redis.port }));
  const databaseUrl = await postgres.createDatabase("redis_return");
  // No heartbeat comes within the test: only a notice tells a node of another's entry.
  const node = (name: string, redisUrl: string) =>
    fx.startNode({ name, databaseUrl, redisUrl, heartbeat: "10m" });
  late = await node("late", `redis://127.0.0.1:${proxy.port}`);
  early = await node("early", redis.url);
}, 90_000);

const redisOf = async (gw: GatewayProcess) =>
  ((await (await fetch(`${gw.url}/readyz`)).json()) as { cluster?: { redis: string } }).cluster?.redis;

/** The nodes `gw` last read in the directory. */
const listedBy = async (gw: GatewayProcess, key: string) =>
  (
    (await (
      await fetch(`${gw.url}/admin/api/status`, { headers: { authorization: `Bearer ${key}` } })
    ).json()) as { cluster?: { nodes: { id: string }[] } }
  ).cluster?.nodes.map((n) => n.id) ?? [];

test("after a Redis restart, the node back first lists the other once it is back too, not a heartbeat later, and tells its stream no node.left for it meanwhile", async () => {
  const key = late.adminKey ?? early.adminKey ?? "";
  await waitFor(
    "the early node listing the late one",
    async () => (await listedBy(early, key)).includes("late"),
    30_000,
  );
  const stream = listenToEvents(early, { key });
  fx.deferTest(() => stream.close());
  await waitFor("the early node's stream open", () => stream.ready.then(() => true), 30_000);
  await redis.kill();
  await waitFor(
    "both nodes to take Redis as down",
    async () => (await redisOf(late)) === "down" && (await redisOf(early)) === "down",
    20_000,
  );
  // The late node's commands wait in the proxy: the early one is back alone, its directory empty
  // of the late one (its entry went with Redis's keys).
  proxy.hold();
  await redis.start();
  await waitFor(
    "the early node back, listing itself alone",
    async () => (await redisOf(early)) === "up" && (await listedBy(early, key)).join() === "early",
    30_000,
  );
  expect(await redisOf(late)).toBe("down");
  // That read, without the late node, told no departure.
  expect(stream.events.filter((event) => event.type === "node.left")).toEqual([]);
  proxy.release();
  await waitFor("the late node back on Redis", async () => (await redisOf(late)) === "up", 30_000);
  await waitFor(
    "the early node listing the late one again",
    async () => (await listedBy(early, key)).includes("late"),
    30_000,
  );
}, 180_000);
