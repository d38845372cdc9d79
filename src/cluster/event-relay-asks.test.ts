import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor, waitForValue } from "../testing/wait-for.ts";
import { EVENTS_CHANNEL, type EventRelayOptions, heardWithin } from "./event-relay.ts";
import { relaySeal } from "./json-seal.ts";
import {
  channelListener,
  finish,
  finishedReader,
  peerEntry,
  relayNode as relayNodeOn,
  silentPeerEntry,
} from "./testing/relay-nodes.ts";

// An opening live stream's ask of the other nodes (write your queued rows, then say so) and the
// hold an answered ask puts on the answering node's relaying. Each node on its own link to one
// real Redis, as start-cluster.ts wires it. The relay's messages themselves: event-relay.test.ts.

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

const relayNode = (id: string, options: Partial<EventRelayOptions> = {}, readsAfter?: Promise<void>) =>
  relayNodeOn(redis.url, seal, id, options, readsAfter);
const listen = () => channelListener(redis.url, seal);

test("an opening stream's ask: the other node relays from then on, writes its queued rows, and the ask settles after the events it took meanwhile are delivered", async () => {
  const rowsWritten = Promise.withResolvers<void>();
  const asked = Promise.withResolvers<void>();
  const channel = await listen();
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

test("an opening stream asks only the nodes whose entries say they answer: one of a release before asks (a rolling upgrade) is not waited for", async () => {
  const channel = await listen();
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

test("an ask a listed node never hears (killed but still listed) is not waited for until its deadline: it settles once the node that heard it answered, though past the heard bound, naming the other; one ask is sent; none with no other node listed", async () => {
  const channel = await listen();
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
    heardWithinMs: 50,
  });
  const { read, close: closeReader } = finishedReader(watched.bus);
  try {
    let settled = false;
    const askedAt = performance.now();
    const opened = watched.relay.othersWritten().then((unanswered) => {
      settled = true;
      return unanswered;
    });
    await asked.promise;
    finish(other.bus, "in-the-answer");
    // ours-2 said it heard the ask before writing its rows: waited for while it writes them.
    await channel.after(other, "ours-2-heard");
    expect(channel.heard).toEqual(["ours-2"]);
    // Its rows held past the heard bound (the stimulus: ours-1's 50 ms go by), gone-3 skipped
    // there: ours-2, which heard, is still waited for.
    await waitFor("the heard bound passed", () => performance.now() - askedAt > 300, 10_000);
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

test("a node slow to say it heard (its loop busy past half a second) is waited for within a quarter of cluster.redis_timeout: the stream opens with its rows written", async () => {
  expect([heardWithin(2_000), heardWithin(8_000), heardWithin(300)]).toEqual([500, 2_000, 300]);
  const slow = Promise.withResolvers<void>();
  const other = await relayNode("ours-2", {}, slow.promise);
  const watched = await relayNode("ours-1", { peers: () => [peerEntry("ours-2")], askTimeoutMs: 8_000 });
  const reader = watched.bus.subscribe({ relayed: true });
  try {
    const askedAt = performance.now();
    const opened = watched.relay.othersWritten();
    // The stimulus: ours-2 reads the ask 750 ms after it went out, within 8 s / 4.
    await waitFor("750 ms since the ask", () => performance.now() - askedAt > 750, 10_000);
    slow.resolve();
    expect(await opened).toEqual([]);
  } finally {
    reader.close();
    watched.close();
    other.close();
  }
});

test("an asker whose loop was busy past its heard bound reads the heard that came meanwhile before it judges: the node that said it is waited for", async () => {
  const channel = await listen();
  const watched = await relayNode("ours-1", {
    peers: () => [peerEntry("ours-2")],
    askTimeoutMs: 600_000,
    heardWithinMs: 1_000,
  });
  const reader = watched.bus.subscribe({ relayed: true });
  // What ours-2 says, published by a process of its own while the asker's loop is held.
  const ours2Says = (field: "heard" | "written", ask: string) => {
    const said = { id: crypto.randomUUID(), cluster: "ours", node: "ours-2", events: [], [field]: ask };
    const args = ["-p", String(redis.port), "publish", EVENTS_CHANNEL, seal.seal(JSON.stringify(said))];
    expect(Bun.spawnSync(["redis-cli", ...args], { stdout: "ignore" }).exitCode).toBe(0);
  };
  try {
    const askedAt = performance.now();
    const opened = watched.relay.othersWritten();
    const ask = await waitForValue("the ask on the channel", () => channel.askIds[0], 10_000);
    // The stimulus: the loop held from 980 ms to past the bound (1 s), so that two timers are due at
    // once as it turns: one due at 990 ms, in which ours-2's heard comes while the loop is held
    // again, then the bound's own, which reads nothing first.
    const busy = Promise.withResolvers<void>();
    const at = (ms: number) => askedAt + ms - performance.now();
    setTimeout(() => Bun.sleepSync(Math.max(0, at(1_010))), at(980)); // stimulus: the loop held
    setTimeout(() => {
      ours2Says("heard", ask);
      Bun.sleepSync(Math.max(0, at(1_200))); // stimulus: the loop held
      ours2Says("written", ask);
      busy.resolve();
    }, at(990));
    await busy.promise;
    // Judged at the timer, before reading what came, ours-2 would be skipped and named.
    expect(await opened).toEqual([]);
  } finally {
    reader.close();
    watched.close();
    channel.close();
  }
});

test("a node of a release that answers asks without saying it heard them (before `heard`) is waited for past the heard bound, until it answers", async () => {
  const channel = await listen();
  const watched = await relayNode("ours-1", {
    peers: () => [silentPeerEntry("quiet-2")],
    askTimeoutMs: 600_000,
    heardWithinMs: 50,
  });
  const reader = watched.bus.subscribe({ relayed: true });
  try {
    const opened = watched.relay.othersWritten();
    const ask = await waitForValue("the ask on the channel", () => channel.askIds[0], 10_000);
    // The asker judges as it reads its heard check: what is published after it comes after that.
    await waitFor("ours-1's heard check", () => channel.heardChecks.includes("ours-1"), 10_000);
    const written = { id: crypto.randomUUID(), cluster: "ours", node: "quiet-2", events: [], written: ask };
    await channel.publish(seal.seal(JSON.stringify(written)));
    // Skipped at the bound, quiet-2 would be named, its rows not waited for.
    expect(await opened).toEqual([]);
  } finally {
    reader.close();
    watched.close();
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
