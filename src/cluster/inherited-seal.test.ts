import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { MAX_SEAL_VALIDITY_MS, sealValidityMs } from "../config/cluster-config.ts";
import { entrySeal } from "./json-seal.ts";
import { NodeDirectory } from "./node-directory.ts";
import type { NodeDirectoryOptions } from "./node-directory-options.ts";
import type { NodeEntry } from "./node-entry.ts";
import { RedisLink } from "./redis-link.ts";

// What a node restarted under its id inherits from Redis (its predecessor's entry, and the
// `mgw:stopping:<id>` a predecessor that still drains renews), read as every entry is: sealed with
// `cluster.secret`, within its seal's bound. Whoever reaches Redis without the secret lends the
// node no workers, nor keeps a genuine predecessor's listed past its time.

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

const HEARTBEAT_MS = 600_000;
const seal = entrySeal("cluster-secret-0123456789", {
  now: () => Date.now(),
  validForMs: sealValidityMs({ heartbeat: HEARTBEAT_MS, redis_timeout: 5000 }),
  maxAgeMs: MAX_SEAL_VALIDITY_MS,
});
/** The nodes' monotonic clock (how long inherited workers stay listed): moved by the tests. */
let clock = 1_000_000;
const gpu = { name: "gpu", tenant: "default", models: ["m"], inFlight: 0, capacity: 4 };

/** A node under `id`, sealed as a cluster's, whose heartbeat never comes within a test: `refresh()` is its beat. */
async function node(
  id: string,
  url: string,
  workers: NodeDirectoryOptions["workers"] = () => [],
): Promise<NodeDirectory> {
  const link = new RedisLink({ url: redis.url, timeoutMs: 5000, writeAtOnce: true });
  expect(await link.start()).toBe(true);
  const directory = new NodeDirectory({
    link,
    self: { id, url },
    heartbeatMs: HEARTBEAT_MS,
    workers,
    seal,
    now: () => clock,
  });
  closing.push(
    () => link.close(),
    () => directory.close(),
  );
  await directory.start();
  return directory;
}

async function probe(): Promise<RedisClient> {
  const client = new RedisClient(redis.url);
  closing.push(() => client.close());
  await client.send("FLUSHDB", []);
  return client;
}

/** A predecessor under `id` that drained `gpu` and closed, its last entry left to expire: the successor inherits `gpu`. */
async function drainedPredecessor(id: string): Promise<void> {
  const predecessor = await node(id, `http://${id}-1.invalid`, () => [gpu]);
  await predecessor.publishDraining();
  await predecessor.close();
}

test("a forged stopping key under a node's name keeps none of the workers it inherited listed past its predecessor's entry", async () => {
  const redisProbe = await probe();
  await drainedPredecessor("kept");
  const forged: NodeEntry = { id: "kept", url: "http://kept.invalid", at: 1, instance: "x", workers: [gpu] };
  await redisProbe.send("SET", [
    "mgw:stopping:kept",
    JSON.stringify(forged),
    "PX",
    String(MAX_SEAL_VALIDITY_MS),
  ]);
  const successor = await node("kept", "http://kept-2.invalid");
  const calling = await node("calling-kept", "http://calling-kept.invalid");
  // The genuine predecessor's worker is inherited, draining, through its sealed entry.
  expect(calling.whyNone("m", "default")).toBe("draining");
  // Past the predecessor's entry's three heartbeats: its worker is gone, whatever the forged key says.
  clock += 3 * HEARTBEAT_MS + 1_000;
  await successor.refresh();
  await calling.refresh();
  expect(calling.whyNone("m", "default")).toBe("not_served");
});

test("a genuine entry written back under a node's name with a longer time to live lends its successor the workers only for as long as its seal is taken", async () => {
  const redisProbe = await probe();
  await drainedPredecessor("copied");
  const genuine = await redisProbe.get("mgw:node:copied");
  expect(genuine).not.toBeNull();
  await redisProbe.send("SET", ["mgw:node:copied", genuine ?? "", "PX", String(MAX_SEAL_VALIDITY_MS)]);
  const successor = await node("copied", "http://copied-2.invalid");
  const calling = await node("calling-copied", "http://calling-copied.invalid");
  expect(calling.whyNone("m", "default")).toBe("draining");
  // The seal takes the entry three heartbeats, the redis timeout and a second past its write.
  clock += sealValidityMs({ heartbeat: HEARTBEAT_MS, redis_timeout: 5000 }) + 1_000;
  await successor.refresh();
  await calling.refresh();
  expect(calling.whyNone("m", "default")).toBe("not_served");
});
