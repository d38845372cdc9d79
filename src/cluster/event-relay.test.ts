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
  return { bus, relay, link, close };
}

/**
 * A plain listener on the channel, as any subscriber of the Redis server: the asks and answers
 * each node published, and the unsealed markers a test sends to know what came before them.
 */
async function channelListener() {
  const link = new RedisLink({ url: redis.url, timeoutMs: 2_000, vouch: async () => null });
  expect(await link.start()).toBe(true);
  const asks: string[] = [];
  const heard: string[] = [];
  const answers: string[] = [];
  const markers: string[] = [];
  await link.subscribe(EVENTS_CHANNEL, (text) => {
    const json = seal.open(text);
    if (json === null) return void markers.push(text);
    const sent = JSON.parse(json) as { node: string; ask?: string; heard?: string; written?: string };
    if (sent.ask !== undefined) asks.push(sent.node);
    if (sent.heard !== undefined) heard.push(sent.node);
    if (sent.written !== undefined) answers.push(sent.node);
  });
  return {
    asks,
    heard,
    answers,
    /**
     * Sends `marker` on `node`'s own connection and waits until it is heard: what that node
     * published before it has been heard too (one connection's commands run in order).
     */
    async after(node: { link: RedisLink }, marker: string) {
      await node.link.publish(EVENTS_CHANNEL, marker);
      await waitFor(`the marker ${marker}`, () => markers.includes(marker), 10_000);
    },
    close: () => link.close(),
  };
}

/** A live-stream reader on `bus`, and the request ids of the finished requests it was given. */
function finishedReader(bus: EventBus) {
  const read: string[] = [];
  const reader = bus.subscribe({
    relayed: true,
    filter: (event) => {
      if (event.type === "request.finished") read.push(event.record.requestId);
      return false;
    },
  });
  return { read, close: () => reader.close() };
}

/** `requestId` finished on the node of `bus`. */
function finish(bus: EventBus, requestId: string): void {
  bus.publish({ type: "request.finished", at: 0, record: withoutBodies(makeRecord({ requestId })) });
}

test("an opening stream's ask: the other node relays from then on, writes its queued rows, and the ask settles after the events it took meanwhile are delivered", async () => {
  const rowsWritten = Promise.withResolvers<void>();
  const asked = Promise.withResolvers<void>();
  const channel = await channelListener();
  const other = await relayNode("ours-2", {
    queuedWritten: () => {
      asked.resolve();
      return rowsWritten.promise;
    },
  });
  const watched = await relayNode("ours-1", { peers: () => [peerEntry("ours-2")], askTimeoutMs: 60_000 });
  const { read, close: closeReader } = finishedReader(watched.bus);
  try {
    let settled = false;
    const opened = watched.relay.othersWritten().then(() => {
      settled = true;
    });
    await asked.promise;
    // Asked, it relays (nobody's entry says so yet): a request it finishes now goes with its answer.
    finish(other.bus, "meanwhile");
    // An answer sent before its rows were written would be heard before this marker.
    await channel.after(other, "rows-not-yet-written");
    expect(channel.asks).toEqual(["ours-1"]);
    expect(channel.answers).toEqual([]);
    expect(settled).toBe(false);
    rowsWritten.resolve();
    await opened;
    expect(read).toEqual(["meanwhile"]);
  } finally {
    closeReader();
    watched.close();
    other.close();
    channel.close();
  }
});

/** The directory's entry of another node `id` of this release (it answers asks) or, `older`, of one before asks. */
function peerEntry(id: string, older = false): NodeEntry {
  return { id, url: `http://${id}.invalid`, at: 0, workers: [], ...(older ? {} : { answersAsks: true }) };
}

test("an opening stream asks only the nodes whose entries say they answer: one of a release before asks (a rolling upgrade) is not waited for", async () => {
  const channel = await channelListener();
  const other = await relayNode("ours-2");
  const watched = await relayNode("ours-1", {
    peers: () => [peerEntry("old-3", true), peerEntry("ours-2")],
    askTimeoutMs: 600_000,
  });
  const reader = watched.bus.subscribe({ relayed: true });
  try {
    // Waiting for old-3 too, this would settle only at its deadline, long past the test's.
    await watched.relay.othersWritten();
    // And it settled on ours-2's answer: an ask went out and ours-2 answered it, not a filter that
    // asked no one and settled at once. Its answer went before this marker on its connection.
    await channel.after(other, "ours-2-answered");
    expect(channel.asks).toEqual(["ours-1"]);
    expect(channel.answers).toEqual(["ours-2"]);
  } finally {
    reader.close();
    watched.close();
    other.close();
    channel.close();
  }
}, 20_000);

test("an ask a listed node never hears (killed but still listed) is not waited for until its deadline: it settles once the node that heard it answered, naming the other; one ask is sent; none with no other node listed", async () => {
  const channel = await channelListener();
  const asked = Promise.withResolvers<void>();
  const rowsWritten = Promise.withResolvers<void>();
  const other = await relayNode("ours-2", {
    queuedWritten: () => {
      asked.resolve();
      return rowsWritten.promise;
    },
  });
  const watched = await relayNode("ours-1", {
    peers: () => [peerEntry("gone-3"), peerEntry("ours-2")],
    askTimeoutMs: 600_000,
  });
  const { read, close: closeReader } = finishedReader(watched.bus);
  try {
    let settled = false;
    const opened = watched.relay.othersWritten().then((unanswered) => {
      settled = true;
      return unanswered;
    });
    await asked.promise;
    finish(other.bus, "in-the-answer");
    // ours-2 said it heard the ask before writing its rows: waited for while it writes them.
    await channel.after(other, "ours-2-heard");
    expect(channel.heard).toEqual(["ours-2"]);
    expect(settled).toBe(false);
    rowsWritten.resolve();
    // Waiting for gone-3 too, this would settle only at its deadline, long past the test's.
    expect(await opened).toEqual(["gone-3"]);
    expect(read).toEqual(["in-the-answer"]);
    expect(channel.asks).toEqual(["ours-1"]);
  } finally {
    closeReader();
    watched.close();
    other.close();
  }
  const alone = await relayNode("ours-1", { peers: () => [] });
  try {
    await alone.relay.othersWritten();
    await channel.after(alone, "asked-nobody");
    expect(channel.asks).toEqual(["ours-1"]);
  } finally {
    alone.close();
    channel.close();
  }
});

test("asked, a node relays for the answer's hold whatever the directory reads say: a read listing the asker's entry as it stood before the ask, watching or not, stops nothing; once the hold is over the directory rules again", async () => {
  let now = 0;
  const other = await relayNode("ours-2", { answerHoldMs: 1_000, now: () => now });
  const watched = await relayNode("ours-1", { peers: () => [peerEntry("ours-2")], askTimeoutMs: 60_000 });
  const { read, close: closeReader } = finishedReader(watched.bus);
  const [asker, self] = [peerEntry("ours-1"), peerEntry("ours-2")];
  try {
    await watched.relay.othersWritten();
    // A directory read begun before the asker's entry said it watches, landing after the answer.
    other.relay.observe([asker, self]);
    finish(other.bus, "after-a-stale-read");
    await waitFor(
      "the request finished after a stale read, relayed",
      () => read.includes("after-a-stale-read"),
      10_000,
    );
    // Reads of entries the asker wrote before its ask (at 0), watching, then not: in any order.
    other.relay.observe([{ ...asker, watching: true }, self]);
    now += 999;
    other.relay.observe([asker, self]);
    expect(other.bus.wants("request.finished")).toBe(true);
    // The hold over: a read that shows nobody watching stops relaying, one that shows it relays.
    now += 1;
    other.relay.observe([{ ...asker, watching: true }, self]);
    expect(other.bus.wants("request.finished")).toBe(true);
    other.relay.observe([asker, self]);
    expect(other.bus.wants("request.finished")).toBe(false);
    // Asked again: held again, from that answer.
    await watched.relay.othersWritten();
    now += 999;
    other.relay.observe([asker, self]);
    expect(other.bus.wants("request.finished")).toBe(true);
    now += 1;
    other.relay.observe([asker, self]);
    expect(other.bus.wants("request.finished")).toBe(false);
  } finally {
    closeReader();
    watched.close();
    other.close();
  }
});

test("asked, a node stops relaying at the first directory read showing the asker's entry written after its ask saying nobody watches there (its reader left), not at the hold's end", async () => {
  const other = await relayNode("ours-2", { answerHoldMs: 600_000 });
  const watched = await relayNode("ours-1", {
    peers: () => [peerEntry("ours-2")],
    askTimeoutMs: 60_000,
    entryClock: () => 500,
  });
  const reader = watched.bus.subscribe({ relayed: true });
  const [asker, self] = [peerEntry("ours-1"), peerEntry("ours-2")];
  try {
    await watched.relay.othersWritten();
    // Written before the ask (at 400 on the asker's clock): a stale read, it stops nothing.
    other.relay.observe([{ ...asker, at: 400 }, self]);
    expect(other.bus.wants("request.finished")).toBe(true);
    other.relay.observe([{ ...asker, at: 600, watching: true }, self]);
    expect(other.bus.wants("request.finished")).toBe(true);
    // Written after it, nobody watching: the reader that asked has left.
    other.relay.observe([{ ...asker, at: 700 }, self]);
    expect(other.bus.wants("request.finished")).toBe(false);
  } finally {
    reader.close();
    watched.close();
    other.close();
  }
});
