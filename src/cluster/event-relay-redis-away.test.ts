import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../testing/wait-for.ts";
import { relaySeal } from "./json-seal.ts";
import { channelListener, peerEntry, relayNode } from "./testing/relay-nodes.ts";

// An opening live stream's ask (event-relay.ts `othersWritten`) when Redis goes away after the ask
// went out: its own heard check cannot be published, so no judgement at the heard bound ever came
// and a node that never heard the ask was waited for until the whole `cluster.redis_timeout`. A
// Redis of its own: this test kills it.

let redis: RedisServer;
const seal = relaySeal("cluster-secret-0123456789", {
  now: () => 1_700_000_000_000,
  validForMs: 6_000,
  maxAgeMs: 6_000,
});
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

test("Redis gone before the heard bound: the ask settles at the bound, naming the node that never heard it, not at its deadline", async () => {
  const channel = await channelListener(redis.url, seal);
  const watched = await relayNode(redis.url, seal, "ours-1", {
    peers: () => [peerEntry("gone-3")],
    // Far past this test's own timeout: an ask waited out to its deadline fails the test.
    askTimeoutMs: 600_000,
    // Room for the kill below on a loaded machine: the bound is passed with Redis gone.
    heardWithinMs: 5_000,
  });
  try {
    const opened = watched.relay.othersWritten();
    await waitFor("the ask on the channel", () => channel.asks.includes("ours-1"), 10_000);
    channel.close();
    await redis.kill();
    await waitFor("the link to see Redis gone", () => !watched.link.healthy(), 20_000);
    expect(await opened).toEqual(["gone-3"]);
  } finally {
    watched.close();
    channel.close();
  }
}, 60_000);
