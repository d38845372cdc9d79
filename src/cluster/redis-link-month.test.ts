import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { clusterConfigSchema } from "../config/cluster-config.ts";
import { timerOverflows } from "../testing/timer-overflows.ts";
import { announceKeyChanges } from "./key-notice.ts";
import { RedisLink } from "./redis-link.ts";

// `cluster.redis_timeout` of 30 days, as "no bound" is written where 0 is refused: longer than
// setTimeout's 2^31 - 1 ms, which Bun fires after 1 ms instead.

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

const overflows = timerOverflows();
afterAll(() => overflows.stop());
const MONTH_MS = 30 * 24 * 3_600_000;

test("a redis_timeout of 30 days: the link connects and its calls are answered, no timer overflowing", async () => {
  const changes: string[] = [];
  const link = new RedisLink({
    url: redis.url,
    timeoutMs: MONTH_MS,
    onHealthChange: (healthy, reason) => changes.push(healthy ? "up" : `down: ${reason}`),
  });
  try {
    expect(await link.start()).toBe(true);
    for (let i = 0; i < 5; i++) expect(await link.call((client) => client.send("PING", []))).toBe("PONG");
    expect(changes).toEqual(["up"]);
    expect(overflows.seen()).toBe(0);
  } finally {
    link.close();
  }
});

test.each([
  ["30 days", "30d"],
  ["60 days (past what Bun's client takes as its connectionTimeout)", "60d"],
])("a redis_timeout of %s: a key change made outside a node is announced", async (_name, redisTimeout) => {
  const settings = clusterConfigSchema.parse({
    redis_url: redis.url,
    advertise_url: "http://127.0.0.1:1",
    secret: "a-secret-of-sixteen-or-more",
    redis_timeout: redisTimeout,
  });
  expect(await announceKeyChanges(settings, "cluster-a", ["key_1"])).toBeNull();
  expect(overflows.seen()).toBe(0);
});
