import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { makeRecord } from "../audit/audit-fixture.ts";
import { EventBus } from "../audit/event-bus.ts";
import type { GatewayEvent } from "../audit/gateway-event.ts";
import { withoutBodies } from "../audit/published-record.ts";
import { waitFor } from "../testing/wait-for.ts";
import { EVENTS_CHANNEL, EventRelay } from "./event-relay.ts";
import { relaySeal } from "./json-seal.ts";
import type { NodeEntry } from "./node-entry.ts";
import { RedisLink } from "./redis-link.ts";

let redis: RedisServer;
/** Redis's time as the nodes read it: moved by the tests. */
let redisNow = 1_700_000_000_000;
const seal = relaySeal("cluster-secret-0123456789", {
  now: () => redisNow,
  validForMs: 6_000,
  maxAgeMs: 6_000,
});
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(() => redis.stop());

/**
 * A relay of node `ours-1` of cluster `ours`, with a live-stream reader: the request ids it was
 * given. `refusal`: the link's Redis database is not this cluster's (its vouch says why).
 */
async function watchingRelay(refusal: string | null = null) {
  const link = new RedisLink({ url: redis.url, timeoutMs: 2_000, vouch: async () => refusal });
  expect(await link.start()).toBe(refusal === null);
  const bus = new EventBus();
  const read: string[] = [];
  const reader = bus.subscribe({
    relayed: true,
    filter: (event) => {
      if (event.type === "request.finished") read.push(event.record.requestId);
      return false;
    },
  });
  const relay = new EventRelay({ link, nodeId: "ours-1", clusterId: "ours", bus, seal });
  return {
    relay,
    read,
    close() {
      reader.close();
      relay.close();
      link.close();
    },
  };
}

/** What a node publishes on the channel, sealed: `cluster` absent for a node of the release before stamps. */
function message(node: string, requestId: string, cluster?: string): string {
  const event: GatewayEvent = {
    type: "request.finished",
    at: 0,
    record: withoutBodies(makeRecord({ requestId })),
  };
  const stamp = cluster === undefined ? {} : { cluster };
  return seal.seal(JSON.stringify({ id: crypto.randomUUID(), ...stamp, node, events: [event] }));
}

test("a relayed message is taken stamped by this cluster; not another cluster's, nor an unstamped one (a release before stamps, whose messages are unsealed too), even from a node the directory lists", async () => {
  const { relay, read, close } = await watchingRelay();
  try {
    relay.observe([{ id: "old-1", url: "http://old-1.invalid", at: 0, workers: [] }]);
    relay.received(message("ours-2", "stamped-ours", "ours"));
    relay.received(message("theirs-1", "stamped-theirs", "theirs"));
    relay.received(message("old-1", "unstamped-of-our-directory"));
    expect(read).toEqual(["stamped-ours"]);
  } finally {
    close();
  }
});

test("a message is delivered once: not again when published again, nor once sealed longer ago than the seal's bound, nor unsealed", async () => {
  const { relay, read, close } = await watchingRelay();
  const sealedAt = redisNow;
  try {
    const genuine = message("ours-2", "genuine", "ours");
    relay.received(genuine);
    relay.received(genuine);
    const late = message("ours-2", "late", "ours");
    redisNow += 6_001;
    relay.received(late);
    relay.received(seal.open(message("ours-2", "unsealed", "ours")) ?? "");
    expect(read).toEqual(["genuine"]);
  } finally {
    redisNow = sealedAt;
    close();
  }
});

test("none is taken while the Redis database is not this cluster's, not even one stamped by this cluster", async () => {
  const { relay, read, close } = await watchingRelay(
    "the Redis database of cluster.redis_url is another cluster's",
  );
  try {
    relay.received(message("ours-2", "stamped-ours", "ours"));
    expect(read).toEqual([]);
  } finally {
    close();
  }
});

test("a directory read that lands after the relay closed (the node stopping) taps nothing and starts no timer: the bus is left untapped", () => {
  const bus = new EventBus();
  const link = new RedisLink({ url: redis.url, timeoutMs: 2_000, vouch: async () => null });
  const relay = new EventRelay({ link, nodeId: "ours-1", clusterId: "ours", bus, seal });
  const watcher = { id: "ours-2", url: "http://ours-2.invalid", at: 0, workers: [], watching: true };
  try {
    relay.observe([watcher]);
    expect(bus.wants("request.finished")).toBe(true);
    relay.close();
    expect(bus.wants("request.finished")).toBe(false);
    relay.observe([watcher]);
    expect(bus.wants("request.finished")).toBe(false);
  } finally {
    relay.close();
    link.close();
  }
});

/** Node `id` of cluster `ours` on its own link, listening on the channel as start-cluster.ts does. */
async function relayNode(id: string, options: Partial<ConstructorParameters<typeof EventRelay>[0]> = {}) {
  const link = new RedisLink({ url: redis.url, timeoutMs: 2_000, vouch: async () => null });
  expect(await link.start()).toBe(true);
  const bus = new EventBus();
  const relay = new EventRelay({ link, nodeId: id, clusterId: "ours", bus, seal, ...options });
  await link.subscribe(EVENTS_CHANNEL, (text) => relay.received(text));
  const close = () => {
    relay.close();
    link.close();
  };
  return { bus, relay, close };
}

test("an opening stream's ask: the other node relays from then on, writes its queued rows, and the ask settles after the events it took meanwhile are delivered", async () => {
  const rowsWritten = Promise.withResolvers<void>();
  const asked = Promise.withResolvers<void>();
  const other = await relayNode("ours-2", {
    queuedWritten: () => {
      asked.resolve();
      return rowsWritten.promise;
    },
  });
  const watched = await relayNode("ours-1", { peers: () => [peerEntry("ours-2")], askTimeoutMs: 60_000 });
  const read: string[] = [];
  const reader = watched.bus.subscribe({
    relayed: true,
    filter: (event) => {
      if (event.type === "request.finished") read.push(event.record.requestId);
      return false;
    },
  });
  try {
    let settled = false;
    const opened = watched.relay.othersWritten().then(() => {
      settled = true;
    });
    await asked.promise;
    // Asked, it relays (nobody's entry says so yet): a request it finishes now goes with its answer.
    other.bus.publish({
      type: "request.finished",
      at: 0,
      record: withoutBodies(makeRecord({ requestId: "meanwhile" })),
    });
    expect(settled).toBe(false);
    rowsWritten.resolve();
    await opened;
    expect(read).toEqual(["meanwhile"]);
  } finally {
    reader.close();
    watched.close();
    other.close();
  }
});

/** The directory's entry of another node `id` of this release (it answers asks) or, `older`, of one before asks. */
function peerEntry(id: string, older = false): NodeEntry {
  return { id, url: `http://${id}.invalid`, at: 0, workers: [], ...(older ? {} : { answersAsks: true }) };
}

test("an opening stream asks only the nodes whose entries say they answer: one of a release before asks (a rolling upgrade) is not waited for", async () => {
  const other = await relayNode("ours-2");
  const watched = await relayNode("ours-1", {
    peers: () => [peerEntry("old-3", true), peerEntry("ours-2")],
    askTimeoutMs: 600_000,
  });
  const reader = watched.bus.subscribe({ relayed: true });
  try {
    // Waiting for old-3 too, this would settle only at its deadline, long past the test's.
    await watched.relay.othersWritten();
  } finally {
    reader.close();
    watched.close();
    other.close();
  }
}, 20_000);

test("an ask no node answers (a node killed but still listed, one of a release before asks) settles at its deadline; none is sent with no other node listed", async () => {
  const watched = await relayNode("ours-1", { peers: () => [peerEntry("gone-2")], askTimeoutMs: 50 });
  try {
    await watched.relay.othersWritten();
  } finally {
    watched.close();
  }
  const alone = await relayNode("ours-1", { peers: () => [] });
  try {
    await alone.relay.othersWritten();
  } finally {
    alone.close();
  }
});

test("asked, a node relays until a directory read shows the asker watching: a read that lists the asker's entry as it stood before the ask stops nothing; a read that never shows it stops relaying once the answer's hold is over", async () => {
  let now = 0;
  const other = await relayNode("ours-2", { answerHoldMs: 1_000, now: () => now });
  const watched = await relayNode("ours-1", { peers: () => [peerEntry("ours-2")], askTimeoutMs: 60_000 });
  const read: string[] = [];
  const reader = watched.bus.subscribe({
    relayed: true,
    filter: (event) => {
      if (event.type === "request.finished") read.push(event.record.requestId);
      return false;
    },
  });
  const finished = (requestId: string) =>
    other.bus.publish({ type: "request.finished", at: 0, record: withoutBodies(makeRecord({ requestId })) });
  const asker = { id: "ours-1", url: "http://ours-1.invalid", at: 0, workers: [] };
  const self = { id: "ours-2", url: "http://ours-2.invalid", at: 0, workers: [] };
  try {
    await watched.relay.othersWritten();
    // A directory read begun before the asker's entry said it watches, landing after the answer.
    other.relay.observe([asker, self]);
    finished("after-a-stale-read");
    await waitFor(
      "the request finished after a stale read, relayed",
      () => read.includes("after-a-stale-read"),
      10_000,
    );
    // The asker's entry says it watches: the hold is over, and the directory rules again.
    other.relay.observe([{ ...asker, watching: true }, self]);
    expect(other.bus.wants("request.finished")).toBe(true);
    other.relay.observe([asker, self]);
    expect(other.bus.wants("request.finished")).toBe(false);
    // Asked again, and no read ever shows the asker watching (its reader left at once): relaying
    // stops with the first read once the hold is over.
    await watched.relay.othersWritten();
    now += 999;
    other.relay.observe([asker, self]);
    expect(other.bus.wants("request.finished")).toBe(true);
    now += 1;
    other.relay.observe([asker, self]);
    expect(other.bus.wants("request.finished")).toBe(false);
  } finally {
    reader.close();
    watched.close();
    other.close();
  }
});
