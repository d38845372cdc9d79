import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { freePort } from "../testing/free-port.ts";
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
  const away = new RedisLink({ url: `redis://127.0.0.1:${freePort()}`, timeoutMs: 500 });
  const unmeasured = new RedisClock({ link: away, everyMs: 60_000 });
  await unmeasured.measure();
  away.close();
  expect(unmeasured.offset()).toBe(0);
});

/**
 * A Redis whose every `TIME` takes `rtt` ms of the test's clock (`at`), answered at the middle of
 * its round trip with the true time; the node reads its clock `skew` ms off it.
 */
function slowRedis() {
  const state = { at: 1_000_000, rtt: 2, skew: 0 };
  const link = {
    async call(): Promise<unknown> {
      state.at += state.rtt / 2;
      const reply = [String(Math.floor(state.at / 1000)), String((state.at % 1000) * 1000)];
      state.at += state.rtt / 2;
      return reply;
    },
  };
  return { state, link, now: () => state.at + state.skew };
}

test("a clock stepped while every reply is slow (Redis loaded, a farther network) is followed all the same, once the quick replies of before are past", async () => {
  const redis = slowRedis();
  const clock = new RedisClock({ link: redis.link as unknown as RedisLink, everyMs: 60_000, now: redis.now });
  await clock.measure();
  expect(clock.offset()).toBe(0);
  // From now on every reply takes 150 ms, and NTP steps the node's clock 10 minutes ahead.
  redis.state.rtt = 150;
  redis.state.skew = 600_000;
  const offsets: number[] = [];
  for (let beat = 0; beat < 20; beat++) {
    await clock.measure();
    offsets.push(clock.offset());
  }
  // A few slow replies are passed over (one quick reply of before measures the clock better)...
  expect(offsets[0]).toBe(0);
  // ...but not all of them forever: the step is followed, and stays followed.
  expect(offsets.at(-1)).toBe(-600_000);
  expect(offsets.slice(0, 10)).toContain(-600_000);
});

test("a step of the node's clock while a TIME is under way is read as the clock after it, and the round trip as it lasted", async () => {
  const redis = slowRedis();
  // The round trip timed on a clock NTP never steps: the test's own time.
  const clock = new RedisClock({
    link: {
      async call(): Promise<unknown> {
        const reply = await redis.link.call();
        // NTP steps the node's clock back 10 minutes as the reply comes in.
        redis.state.skew = -600_000;
        return reply;
      },
    } as unknown as RedisLink,
    everyMs: 60_000,
    now: redis.now,
    elapsed: () => redis.state.at,
  });
  await clock.measure();
  // Before: the middle of a round trip read on the stepped clock (-600 s long) put Redis 300 s
  // ahead, neither what the node's clock said before the step nor after it.
  expect(clock.offset()).toBe(600_000);
});

test("Redis's time read by a node 90 s ahead is Redis's, and a step of its wall clock since the last reading leaves it so", async () => {
  let skew = 90_000;
  const clock = new RedisClock({
    link,
    everyMs: 60_000,
    now: () => Date.now() + skew,
    elapsed: () => performance.now(),
  });
  // Unmeasured: the node's own clock.
  expect(Math.abs(clock.redisNow() - (Date.now() + 90_000))).toBeLessThan(1000);
  await clock.measure();
  expect(Math.abs(clock.redisNow() - Date.now())).toBeLessThan(1000);
  skew = -600_000;
  expect(Math.abs(clock.redisNow() - Date.now())).toBeLessThan(1000);
});
