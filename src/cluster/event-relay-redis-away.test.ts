import { afterEach, beforeEach, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../testing/wait-for.ts";
import { EVENTS_CHANNEL } from "./event-relay.ts";
import { relaySeal } from "./json-seal.ts";
import { channelListener, peerEntry, relayNode } from "./testing/relay-nodes.ts";

// An opening live stream's ask (event-relay.ts `othersWritten`) when Redis goes away after the ask
// went out: its own heard check cannot be published, so no judgement at the heard bound ever came
// and a node that never heard the ask was waited for until the whole `cluster.redis_timeout`; nor
// can an answer come from a node that heard it, which was waited for so too. A Redis of each
// test's own: each kills it.

let redis: RedisServer;
const seal = relaySeal("cluster-secret-0123456789", {
  now: () => 1_700_000_000_000,
  validForMs: 6_000,
  maxAgeMs: 6_000,
});
beforeEach(async () => {
  redis = await startRedis();
});
afterEach(() => redis.stop());

/** Far past a test's own timeout: an ask waited out to its deadline fails the test. */
const NEVER_MS = 600_000;

/**
 * The heard bound as the test passes it (EventRelayOptions `heardTimer`), once the links are seen
 * down: never by the wall clock, which a loaded machine could pass before Redis is killed.
 */
function heardBound() {
  const armed = Promise.withResolvers<() => void>();
  return {
    heardTimer: (fire: () => void) => {
      armed.resolve(fire);
      return () => undefined;
    },
    pass: async () => (await armed.promise)(),
  };
}

test("Redis gone before the heard bound: the ask settles at the bound, naming the node that never heard it, not at its deadline", async () => {
  const channel = await channelListener(redis.url, seal);
  const bound = heardBound();
  const watched = await relayNode(redis.url, seal, "ours-1", {
    peers: () => [peerEntry("gone-3")],
    askTimeoutMs: NEVER_MS,
    heardTimer: bound.heardTimer,
  });
  try {
    const opened = watched.relay.othersWritten();
    await waitFor("the ask on the channel", () => channel.asks.includes("ours-1"), 10_000);
    channel.close();
    await redis.kill();
    await waitFor("the link to see Redis gone", () => !watched.link.healthy(), 20_000);
    await bound.pass();
    expect(await opened).toEqual(["gone-3"]);
  } finally {
    watched.close();
    channel.close();
  }
}, 60_000);

test("Redis gone before the heard bound: a node that heard the ask is named then too, its answer unable to come", async () => {
  const channel = await channelListener(redis.url, seal);
  const killed = Promise.withResolvers<void>();
  // Its rows are written only once Redis is gone: its answer cannot be published.
  const writer = await relayNode(redis.url, seal, "heard-2", { queuedWritten: () => killed.promise });
  const bound = heardBound();
  const watched = await relayNode(redis.url, seal, "ours-1", {
    peers: () => [peerEntry("heard-2")],
    askTimeoutMs: NEVER_MS,
    heardTimer: bound.heardTimer,
  });
  // The opening stream's own reader, subscribed before it asks: the asker takes `heard` for it.
  const reader = watched.bus.subscribe({ relayed: true });
  try {
    const opened = watched.relay.othersWritten();
    await waitFor("heard-2 to say it heard", () => channel.heard.includes("heard-2"), 10_000);
    // Published on heard-2's connection after its `heard`: the asker has read that once it reads this.
    await writer.link.publish(EVENTS_CHANNEL, "after-heard");
    await waitFor("the asker to read heard-2's heard", () => watched.markers.includes("after-heard"), 10_000);
    channel.close();
    await redis.kill();
    await waitFor(
      "the links to see Redis gone",
      () => !watched.link.healthy() && !writer.link.healthy(),
      20_000,
    );
    killed.resolve();
    await bound.pass();
    expect(await opened).toEqual(["heard-2"]);
  } finally {
    killed.resolve();
    reader.close();
    watched.close();
    writer.close();
    channel.close();
  }
}, 60_000);
