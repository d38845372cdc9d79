import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { MAX_SEAL_VALIDITY_MS, sealValidityMs } from "../config/cluster-config.ts";
import { entrySeal, type JsonSeal, type SealClock } from "./json-seal.ts";
import { NodeDirectory } from "./node-directory.ts";
import { RedisLink } from "./redis-link.ts";

// The directory's set (`mgw:nodes`) on a real Redis, read by nodes whose entries are sealed as a
// cluster's are: an id whose entry a reader drops (a copy under another key, unsealed, stale) and
// which stands longer than a node's entry may is taken off the set, as one whose entry expired; one
// that will expire (a stalled node's, an earlier release's) is left to.

let redis: RedisServer;
/** What the test under way opened, closed once it ends, last opened first. */
const closing: (() => unknown)[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});
afterAll(async () => {
  await redis.stop();
});

const SECRET = "cluster-secret-0123456789";
/** Redis's time as the nodes read it: moved on by a test to make a node's last entry stale. */
let skewMs = 0;
const HEARTBEAT_MS = 600_000;
const clock: SealClock = {
  now: () => Date.now() + skewMs,
  validForMs: sealValidityMs({ heartbeat: HEARTBEAT_MS, redis_timeout: 5000 }),
  // As cluster-directory.ts: a reader takes an entry for its writer's validity, up to this bound.
  maxAgeMs: MAX_SEAL_VALIDITY_MS,
};
const seal = entrySeal(SECRET, clock);

/** A node on the test's Redis whose heartbeat never comes within a test: `refresh()` is its beat. */
async function node(
  id: string,
  heartbeatMs = HEARTBEAT_MS,
  nodeSeal: JsonSeal = seal,
): Promise<NodeDirectory> {
  const link = new RedisLink({ url: redis.url, timeoutMs: 5000, writeAtOnce: true });
  expect(await link.start()).toBe(true);
  const directory = new NodeDirectory({
    link,
    self: { id, url: `http://${id}.invalid` },
    heartbeatMs,
    workers: () => [],
    seal: nodeSeal,
  });
  await directory.start();
  closing.push(
    () => link.close(),
    () => directory.close(),
  );
  return directory;
}

/** A client of the test's Redis, on an empty database: another test's entries are no longer there. */
async function probe(): Promise<RedisClient> {
  const client = new RedisClient(redis.url);
  closing.push(() => client.close());
  await client.send("FLUSHDB", []);
  return client;
}

const listed = async (client: RedisClient) => (await client.smembers("mgw:nodes")).sort();
const ids = (directory: NodeDirectory) => directory.nodes().map((n) => n.id);

test("an id whose entry is a genuine one copied under its key, unsealed or stale leaves the set at the next read, its key read no more; the nodes' own stay", async () => {
  const redisProbe = await probe();
  await node("set-a");
  const reader = await node("set-b");
  const genuine = (await redisProbe.get("mgw:node:set-a")) ?? "";
  const old = entrySeal(SECRET, { ...clock, now: () => Date.now() - 3_600_000 });
  // Written by whoever reaches Redis, with no expiry: each stayed listed for good, read and dropped at every beat.
  await redisProbe.set("mgw:node:copied", genuine);
  await redisProbe.set(
    "mgw:node:unsealed",
    JSON.stringify({ id: "unsealed", url: "http://x.invalid", at: 1, workers: [] }),
  );
  await redisProbe.set(
    "mgw:node:stale",
    old.seal(JSON.stringify({ id: "stale", url: "http://x.invalid", at: 1, workers: [] })),
  );
  await redisProbe.sadd("mgw:nodes", "copied", "unsealed", "stale");
  await reader.refresh();
  expect(ids(reader).sort()).toEqual(["set-a", "set-b"]);
  expect(await listed(redisProbe)).toEqual(["set-a", "set-b"]);
});

test("an entry read as none while it will expire (a stalled node's, stale; an earlier release's, unsealed) stays listed: the stalled node is read again after its next beat", async () => {
  const redisProbe = await probe();
  const stalled = await node("stalled");
  const reader = await node("reader");
  // A node of the release before seals, during a rolling upgrade: its nodes read one another by the set.
  await redisProbe.send("SET", [
    "mgw:node:earlier",
    JSON.stringify({ id: "earlier", url: "http://earlier.invalid", at: Date.now(), workers: [] }),
    "PX",
    String(3 * HEARTBEAT_MS),
  ]);
  await redisProbe.sadd("mgw:nodes", "earlier");
  try {
    // The stalled node's last entry is older than a seal is taken by the time the reader reads it.
    skewMs = clock.validForMs + 1;
    await reader.refresh();
    expect(ids(reader)).toEqual(["reader"]);
    expect(await listed(redisProbe)).toEqual(["earlier", "reader", "stalled"]);
    await stalled.refresh();
    await reader.refresh();
    expect(ids(reader).sort()).toEqual(["reader", "stalled"]);
  } finally {
    skewMs = 0;
  }
});

test("nodes on different heartbeats: a fast node's read keeps a slow node listed, its entry taken for the slow node's own validity", async () => {
  // cluster.heartbeat is restart-only, so during a rolling restart that changes it nodes beat at
  // different rates. The set's cut-off was the reader's own seal age: a 1 s node dropped a 10 s
  // node's genuine id (its time to live past the reader's bound) for seconds of every cycle.
  const redisProbe = await probe();
  const sealOf = (heartbeat: number) =>
    entrySeal(SECRET, {
      now: clock.now,
      validForMs: sealValidityMs({ heartbeat, redis_timeout: 1000 }),
      maxAgeMs: MAX_SEAL_VALIDITY_MS,
    });
  await node("slow", 10_000, sealOf(10_000));
  const fast = await node("fast", 1_000, sealOf(1_000));
  try {
    // Past the fast node's own validity (5 s), within the slow node's (32 s) and its entry's life.
    skewMs = 8_000;
    await fast.refresh();
    expect(ids(fast).sort()).toEqual(["fast", "slow"]);
    expect(await listed(redisProbe)).toEqual(["fast", "slow"]);
  } finally {
    skewMs = 0;
  }
});
