/**
 * Two nodes through a Redis restart (DEPLOYMENT.md, "Redis down", "Live traffic"). A live event
 * stream (`mindgw tail`, the web UI's live mode) open on one node stays open (it is the node's
 * own), still shows that node's requests while Redis is away, and shows the other node's again
 * once Redis is back, without the reader reconnecting. A budget spent before the restart holds
 * on both nodes while Redis is away, once each has read the other's spend back from storage, and
 * at once after it (re-read from storage: Redis keeps nothing that cannot be rebuilt).
 */
import { beforeAll, expect, test } from "bun:test";
import { createKey } from "./harness/admin-api.ts";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { type RedisServer, startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";
import { callUntil } from "./harness/wait-for-ok.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let redis: RedisServer;
let watched: GatewayProcess;
let other: GatewayProcess;

beforeAll(async () => {
  const [postgres, started] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  redis = started;
  const databaseUrl = await postgres.createDatabase("redis_restart_events");
  // $0.1 a token in and out: a budget is spent in a few requests.
  const extra = { prices: { mock: { input_per_mtok: 100_000, output_per_mtok: 100_000 } } };
  const node = (name: string) => fx.startNode({ name, databaseUrl, redisUrl: redis.url, extra });
  watched = await node("watched");
  other = await node("other");
}, 90_000);

interface RedisState {
  cluster?: { redis: string };
}

const redisOf = async (gw: GatewayProcess) =>
  ((await (await fetch(`${gw.url}/readyz`)).json()) as RedisState).cluster?.redis;

/** Kills Redis, waits for both nodes to take it as down, runs `meanwhile`, starts it, waits for both to be back. */
async function restartRedis(meanwhile: () => Promise<unknown> = async () => {}) {
  const bothSay = (state: string) => async () =>
    (await redisOf(watched)) === state && (await redisOf(other)) === state;
  await redis.kill();
  try {
    await waitFor("both nodes to take Redis as down", bothSay("down"), 15_000);
    await meanwhile();
  } finally {
    await redis.start();
  }
  await waitFor("both nodes back on Redis", bothSay("up"), 20_000);
}

test("a stream open on one node through a Redis restart shows the other node's requests again once Redis is back", async () => {
  const key = watched.adminKey ?? other.adminKey ?? "";
  const stream = listenToEvents(watched, { key });
  fx.defer(() => stream.close());
  await stream.ready;
  const fromOther = (prefix: string) =>
    stream.events.find((e) => e.type === "request.finished" && e.record.requestId.startsWith(`${prefix}-`));
  /** Sends requests to the other node until one shows in the watched node's stream. */
  const shownFromOther = (prefix: string) =>
    callUntil(
      `one of the other node's requests (${prefix}) in the watched node's stream`,
      (turn) => chatAt(other.url, key, { id: `${prefix}-${turn}` }),
      () => fromOther(prefix) !== undefined,
      30_000,
      200,
    );
  await shownFromOther("before");
  await restartRedis(async () => {
    // The watched node's own requests still show: the stream is its own, Redis or not.
    expect((await chatAt(watched.url, key, { id: "own-while-down" })).status).toBe(200);
    await waitFor("the watched node's own request in its stream", () =>
      stream.events.some((e) => e.type === "request.finished" && e.record.requestId === "own-while-down"),
    );
  });
  await shownFromOther("after");
  const after = fromOther("after");
  expect(after?.type === "request.finished" ? after.record.node : undefined).toBe("other");
}, 120_000);

test("a budget spent before a Redis restart holds on both nodes while Redis is away (once each has read the other's spend) and at once when it is back", async () => {
  const admin = { url: watched.url, adminKey: watched.adminKey ?? other.adminKey ?? "" };
  const { key } = await createKey(admin, { name: "spent-before-restart", budget_usd: 0.5 });
  const statuses: number[] = [];
  for (let turn = 0; turn < 6; turn++) {
    const response = await chatAt(turn % 2 === 0 ? watched.url : other.url, key);
    await response.arrayBuffer();
    statuses.push(response.status);
  }
  // One request spends the budget (12 tokens at $0.1: $1.2 of $0.5), which the outage's bound reads by.
  expect(statuses).toEqual([200, 429, 429, 429, 429, 429]);
  const refusedOnBoth = async () => {
    for (const node of [watched, other]) {
      const response = await chatAt(node.url, key);
      await response.arrayBuffer();
      expect(response.status).toBe(429);
    }
  };
  // Redis away, each node judges by its own spend totals: the other node's spend of the moment
  // before reaches them within the ledger's flushes (a second each way), so a node may admit
  // requests meanwhile until its own spend since passes the budget: one request here, on each node
  // at most (DEPLOYMENT.md, "Redis down"); then both refuse.
  const outage = { watched: [] as number[], other: [] as number[] };
  const nodes = [
    [watched, outage.watched],
    [other, outage.other],
  ] as const;
  await restartRedis(() =>
    waitFor(
      "both nodes to refuse the spent key on their own totals",
      async () => {
        for (const [node, seen] of nodes) {
          const response = await chatAt(node.url, key);
          await response.arrayBuffer();
          seen.push(response.status);
          if (response.status !== 429) return false;
        }
        return true;
      },
      15_000,
      100,
    ),
  );
  const admitted = (seen: number[]) => seen.filter((status) => status === 200).length;
  expect(admitted(outage.watched)).toBeLessThanOrEqual(1);
  expect(admitted(outage.other)).toBeLessThanOrEqual(1);
  expect([...outage.watched, ...outage.other].every((status) => status === 200 || status === 429)).toBe(true);
  // Redis back, empty: the budget is re-read, not started again.
  await refusedOnBoth();
}, 120_000);
