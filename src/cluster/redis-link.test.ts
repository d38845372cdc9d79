import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { RedisLink } from "./redis-link.ts";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

/** A link to the test's Redis, and every health change it reported, in order. */
async function linked(timeoutMs: number) {
  const changes: string[] = [];
  const link = new RedisLink({
    url: redis.url,
    timeoutMs,
    onHealthChange: (healthy, reason) => changes.push(healthy ? "up" : `down: ${reason}`),
  });
  expect(await link.start()).toBe(true);
  return { link, changes };
}

const ping = (link: RedisLink) => link.call((client) => client.send("PING", []));

test("a Redis that stops answering without closing (SIGSTOP) is down after one silent timeout, and up once it answers again", async () => {
  const { link, changes } = await linked(300);
  await redis.frozen(async () => {
    expect(ping(link)).rejects.toThrow("redis call took over 300 ms");
    await waitFor("the link to be down", () => !link.healthy());
    expect(changes).toEqual(["up", "down: redis call took over 300 ms"]);
    // From now on a caller falls back at once, without waiting out a timeout of its own.
    expect(ping(link)).rejects.toThrow("redis unavailable");
  });
  await waitFor("the link to reconnect", () => link.healthy(), 10_000);
  expect(await ping(link)).toBe("PONG");
  expect(changes).toEqual(["up", "down: redis call took over 300 ms", "up"]);
  link.close();
});

test("closing the link is no outage: nothing is reported down", async () => {
  const { link, changes } = await linked(1000);
  link.close();
  // The connections' own close callbacks have run by the next turn.
  await new Promise((resolve) => setImmediate(resolve));
  expect(changes).toEqual(["up"]);
});

test("writeAtOnce: a command is on its way to Redis when the call returns, not at the turn's end", async () => {
  const link = new RedisLink({ url: redis.url, timeoutMs: 1000, writeAtOnce: true });
  expect(await link.start()).toBe(true);
  const setting = link.call((client) => client.send("SET", ["write-at-once", "sent"]));
  // Another client, while this process is blocked in the same turn: Redis has the command already.
  const seen = Bun.spawnSync(["redis-cli", "-p", String(redis.port), "GET", "write-at-once"], {
    timeout: 5000,
  });
  expect(seen.stdout.toString().trim()).toBe("sent");
  await setting;
  link.close();
});

test("a link that reconnects to a Redis it may not use (another cluster's claim, taken while it was away) says so, as when the claim is taken while it is up", async () => {
  let foreign: string | null = null;
  const changes: string[] = [];
  const link = new RedisLink({
    url: redis.url,
    timeoutMs: 1000,
    vouch: async () => foreign,
    onHealthChange: (healthy, reason) => changes.push(healthy ? "up" : `down: ${reason}`),
  });
  try {
    expect(await link.start()).toBe(true);
    await redis.kill();
    await waitFor("the link to be down", () => !link.reachable());
    // Restarted without its data, another cluster's node claims it first.
    foreign = "another cluster's";
    await redis.start();
    await waitFor("the link to reconnect", () => link.reachable(), 10_000);
    expect(link.healthy()).toBe(false);
    expect(link.refusal()).toBe("another cluster's");
    expect(changes).toEqual(["up", "down: Connection closed", "down: another cluster's"]);
    // Lost while it is another cluster's: said as any outage, with its own reason.
    await redis.kill();
    await waitFor("the link to be down", () => !link.reachable());
    expect(changes.at(-1)).toBe("down: Connection closed");
    foreign = null;
    await redis.start();
    await waitFor("the link to be up", () => link.healthy(), 10_000);
    expect(changes).toEqual([
      "up",
      "down: Connection closed",
      "down: another cluster's",
      "down: Connection closed",
      "up",
    ]);
  } finally {
    link.close();
  }
});

test("a channel subscribed while the link reconnects (its connect past the channels, not yet done) is listened on once it is", async () => {
  let held: { entered: PromiseWithResolvers<void>; gate: PromiseWithResolvers<void> } | null = null;
  const link = new RedisLink({
    url: redis.url,
    timeoutMs: 1000,
    vouch: async () => {
      if (held !== null) {
        held.entered.resolve();
        await held.gate.promise;
      }
      return null;
    },
  });
  const heard: string[] = [];
  const probe = new RedisClient(redis.url);
  try {
    expect(await link.start()).toBe(true);
    await redis.kill();
    await waitFor("the link to be down", () => !link.reachable());
    const hold = { entered: Promise.withResolvers<void>(), gate: Promise.withResolvers<void>() };
    held = hold;
    await redis.start();
    await hold.entered.promise;
    await link.subscribe("late-channel", (message) => heard.push(message));
    held = null;
    hold.gate.resolve();
    await waitFor("the link to be up", () => link.healthy(), 10_000);
    await waitFor("the channel to be listened on", async () => {
      await probe.publish("late-channel", "heard");
      return heard.includes("heard");
    });
  } finally {
    probe.close();
    link.close();
  }
});
