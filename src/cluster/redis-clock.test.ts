import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { RedisClock } from "./redis-clock.ts";
import { RedisLink } from "./redis-link.ts";

let redis: RedisServer;
let link: RedisLink;
beforeAll(async () => {
  redis = await startRedis();
  link = new RedisLink({ url: redis.url, timeoutMs: 5000 });
  expect(await link.start()).toBe(true);
});
afterAll(async () => {
  link.close();
  await redis.stop();
});

test("a node's clock 90 s ahead reads Redis's time 90 s back, and says so once", async () => {
  const said: [number, boolean][] = [];
  const clock = new RedisClock({
    link,
    everyMs: 60_000,
    now: () => Date.now() + 90_000,
    onOff: (aheadMs, off) => said.push([aheadMs, off]),
  });
  expect(clock.offset()).toBe(0);
  await clock.start();
  await clock.measure();
  clock.close();
  // Redis and this process share the host's clock: what is left is the injected 90 s (and the
  // round trip's half, well under a second on loopback).
  expect(Math.abs(clock.offset() + 90_000)).toBeLessThan(1000);
  expect(said).toHaveLength(1);
  expect(said[0]![1]).toBe(true);
  expect(Math.abs(said[0]![0] - 90_000)).toBeLessThan(1000);
});

test("a clock on Redis's is offset by nothing to speak of; Redis away leaves the last offset", async () => {
  const said: boolean[] = [];
  let skew = 0;
  const clock = new RedisClock({
    link,
    everyMs: 60_000,
    now: () => Date.now() + skew,
    onOff: (_, off) => said.push(off),
  });
  await clock.measure();
  expect(Math.abs(clock.offset())).toBeLessThan(1000);
  skew = -5000;
  await clock.measure();
  expect(Math.abs(clock.offset() - 5000)).toBeLessThan(1000);
  skew = 0;
  await clock.measure();
  // Behind, then on time again: each change said once.
  expect(said).toEqual([true, false]);
  const away = new RedisLink({ url: "redis://127.0.0.1:1", timeoutMs: 500 });
  const unmeasured = new RedisClock({ link: away, everyMs: 60_000 });
  await unmeasured.measure();
  away.close();
  expect(unmeasured.offset()).toBe(0);
});
