import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { RELEASE } from "../core/build-commit.ts";
import { CLUSTER_KEY, ClusterClaim } from "./cluster-claim.ts";
import { leaseTimings, leaseTtlMs } from "./name-lease.ts";
import { NodeDirectory } from "./node-directory.ts";
import type { NodeDirectoryOptions } from "./node-directory-options.ts";
import type { NodeEntry } from "./node-entry.ts";
import { NodeNameTaken } from "./node-name.ts";
import { RedisLink } from "./redis-link.ts";

let redis: RedisServer;
/** What the test under way opened (nodes, links, probes), closed once it ends, last opened first. */
const closing: (() => unknown)[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
// A node left open beats on into the tests after its own (every 100 ms in some), and its commands
// would be counted by theirs (INFO commandstats): each test's are closed before the next begins.
afterEach(async () => {
  for (const close of closing.splice(0).reverse()) await close();
});
afterAll(async () => {
  await redis.stop();
});

/**
 * The test's Redis, whose next call can be made to fail (a Redis error mid-beat) or to answer only
 * once the test lets it (a beat whose read of the directory is overtaken by a notice's).
 */
class SteeredLink extends RedisLink {
  private failing = false;
  /** How many more calls answer before every one fails (null: none fails). */
  private answering: number | null = null;
  private held: { ran: () => void; answer: Promise<void> } | null = null;

  failNext(): void {
    this.failing = true;
  }

  /** Redis answers the next `calls` calls, then fails every one after them (a Redis that hiccups for good). */
  failAfter(calls: number): void {
    this.answering = calls;
  }

  /** The next call runs (`ran` then settles), and answers when `answer` is called. */
  holdNext(): { ran: Promise<void>; answer: () => void } {
    const ran = Promise.withResolvers<void>();
    const answer = Promise.withResolvers<void>();
    this.held = { ran: ran.resolve, answer: answer.promise };
    return { ran: ran.promise, answer: answer.resolve };
  }

  override async call<T>(work: (client: RedisClient) => Promise<T>, unvouched = false): Promise<T> {
    if (this.failing) {
      this.failing = false;
      throw new Error("ERR the test's Redis failed this call");
    }
    if (this.answering !== null) {
      if (this.answering === 0) throw new Error("ERR the test's Redis failed this call");
      this.answering--;
    }
    const gate = this.held;
    this.held = null;
    const answer = await super.call(work, unvouched);
    if (gate !== null) {
      gate.ran();
      await gate.answer;
    }
    return answer;
  }
}

/**
 * A node on the test's Redis whose heartbeat never comes within a test, unless `options` says
 * otherwise: only a notice can tell it anything.
 */
async function node(
  id: string,
  workers: () => NodeEntry["workers"],
  link: RedisLink = steeredLink(),
  options: Partial<
    Pick<
      NodeDirectoryOptions,
      "heartbeatMs" | "leaseMs" | "now" | "self" | "onNamesake" | "clusterId" | "onUpdate"
    >
  > = {},
) {
  expect(await link.start()).toBe(true);
  const directory = new NodeDirectory({
    link,
    self: { id, url: `http://${id}.invalid` },
    heartbeatMs: 600_000,
    workers,
    ...options,
  });
  await directory.start();
  closing.push(
    () => link.close(),
    () => directory.close(),
  );
  return directory;
}

function steeredLink(): SteeredLink {
  return new SteeredLink({ url: redis.url, timeoutMs: 5000, writeAtOnce: true });
}

test("a worker that starts draining is chosen by no other node from then on: its node publishes it and tells the others to read again, without a heartbeat", async () => {
  const gpu = { name: "gpu", tenant: "default", models: ["m"], inFlight: 0, capacity: 8 };
  let listed: NodeEntry["workers"] = [gpu];
  const holding = await node("holding", () => listed);
  const calling = await node("calling", () => []);
  // The calling node started after the holding one: its first read saw the worker.
  expect(calling.peersServing("m", "default").map((n) => n.id)).toEqual(["holding"]);
  listed = [{ ...gpu, draining: true }];
  await holding.entryChanged();
  await waitFor("the calling node to see the worker draining", () =>
    calling.peers()[0]?.workers[0]?.draining === true ? true : undefined,
  );
  // Its model is still there, only none takes a call for it.
  expect(calling.peersServing("m", "default")).toEqual([]);
  expect(calling.whyNone("m", "default")).toBe("draining");
  expect(calling.peerModels("default")).toEqual(["m"]);
});

test("a worker change whose beat meets a Redis error is still told: the next beat sends the notice", async () => {
  const gpu = { name: "gpu", tenant: "default", models: ["m"], inFlight: 0, capacity: 8 };
  let listed: NodeEntry["workers"] = [gpu];
  const link = steeredLink();
  const holding = await node("holding-flaky", () => listed, link);
  const calling = await node("calling-flaky", () => []);
  expect(calling.peersServing("m", "default").map((n) => n.id)).toContain("holding-flaky");
  listed = [{ ...gpu, draining: true }];
  link.failNext();
  await holding.entryChanged();
  // The beat failed before anything reached Redis; the next one (a heartbeat, Redis back) tells.
  await holding.refresh();
  await waitFor("the calling node to see the worker draining", () =>
    calling.peers().find((n) => n.id === "holding-flaky")?.workers[0]?.draining === true ? true : undefined,
  );
});

test("a beat whose read of the directory began before a node joined keeps the entry a notice read meanwhile", async () => {
  const link = steeredLink();
  const reading = await node("reading-stale", () => [], link);
  const { ran, answer } = link.holdNext();
  // The beat lists the nodes before the other joins, and answers only once its notice was read.
  const beat = reading.refresh();
  await ran;
  const joining = await node("joining-stale", () => []);
  await joining.entryChanged();
  await waitFor("the notice to add the joining node", () =>
    reading.peers().some((n) => n.id === "joining-stale") ? true : undefined,
  );
  answer();
  await beat;
  expect(reading.peers().map((n) => n.id)).toContain("joining-stale");
});

test("a node that closed its directory publishes nothing more, whatever asks (its workers closed as it stops)", async () => {
  const leaving = await node("leaving", () => []);
  const staying = await node("staying", () => []);
  await waitFor("the staying node to see the other", async () => {
    await staying.refresh();
    return staying.peers().some((n) => n.id === "leaving") ? true : undefined;
  });
  await leaving.close();
  await leaving.entryChanged();
  await staying.refresh();
  expect(staying.peers().map((n) => n.id)).not.toContain("leaving");
});

test("a node that closes while its beat is with Redis tells nothing of that beat's read: the cluster it served has closed its links and relay", async () => {
  const link = steeredLink();
  let closeBegan = false;
  const toldAfterClose: string[][] = [];
  const closing = await node("closing-beat", () => [], link, {
    onUpdate: (entries) => {
      if (closeBegan) toldAfterClose.push(entries.map((n) => n.id));
    },
  });
  const { ran, answer } = link.holdNext();
  const beat = closing.refresh();
  await ran;
  closeBegan = true;
  const closed = closing.close();
  answer();
  await Promise.all([beat, closed]);
  expect(toldAfterClose).toEqual([]);
});

test("a node that closes while a notice's read is with Redis tells nothing of that read", async () => {
  const link = steeredLink();
  let closeBegan = false;
  const toldAfterClose: string[][] = [];
  const closing = await node("closing-notice", () => [], link, {
    onUpdate: (entries) => {
      if (closeBegan) toldAfterClose.push(entries.map((n) => n.id));
    },
  });
  const gpu = { name: "gpu-notice", tenant: "default", models: ["m"], inFlight: 0, capacity: 8 };
  let listed: NodeEntry["workers"] = [];
  const telling = await node("telling-notice", () => listed);
  // The closing node's next call is its read of the telling node's entry, on the notice.
  const { ran, answer } = link.holdNext();
  listed = [gpu];
  await telling.entryChanged();
  await ran;
  closeBegan = true;
  const closed = closing.close();
  answer();
  await closed;
  expect(toldAfterClose).toEqual([]);
});

test("a node that stops lists every worker it held as draining, those it closed too, and leaves its entry to expire: no other node reads their models as served nowhere", async () => {
  const gpu = { name: "gpu", tenant: "default", models: ["m"], inFlight: 1, capacity: 8 };
  let listed: NodeEntry["workers"] = [gpu];
  const stopping = await node("stopping", () => listed);
  const calling = await node("calling-stopping", () => []);
  expect(calling.peersServing("m", "default").map((n) => n.id)).toEqual(["stopping"]);
  // The drain begins: the others are told at once, without a heartbeat.
  await stopping.publishDraining();
  await waitFor("the calling node to see the worker draining", () =>
    calling.peers().find((n) => n.id === "stopping")?.workers[0]?.draining === true ? true : undefined,
  );
  expect([calling.peersServing("m", "default"), calling.whyNone("m", "default")]).toEqual([[], "draining"]);
  // Drained, the node closes its worker (which reconnects elsewhere) and stops publishing. It
  // removed its entry at the drain's start, and the model read as served nowhere: a 404.
  listed = [];
  await stopping.entryChanged();
  await stopping.close();
  await calling.refresh();
  expect(calling.peers().find((n) => n.id === "stopping")?.workers).toEqual([
    { ...gpu, draining: true, closed: true },
  ]);
  expect([calling.whyNone("m", "default"), calling.peerModels("default")]).toEqual(["draining", ["m"]]);
  // Gone three heartbeats after, as a killed node's entry.
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const ttl = Number(await probe.send("PTTL", ["mgw:node:stopping"]));
  expect(ttl).toBeGreaterThan(0);
  expect(ttl).toBeLessThanOrEqual(3 * 600_000);
});

test("a stopping node counts as no live node, from its drain's start to its entry's expiry, though its draining workers stay listed; one holding none leaves the directory at once", async () => {
  const gpu = { name: "gpu-stop", tenant: "default", models: ["m-stop"], inFlight: 1, capacity: 8 };
  let listed: NodeEntry["workers"] = [gpu];
  const holding = await node("stopping-holding", () => listed);
  const empty = await node("stopping-empty", () => []);
  const reading = await node("stopping-reader", () => []);
  const live = reading.liveCount();
  expect(reading.nodes().map((n) => n.id)).toEqual(
    expect.arrayContaining(["stopping-holding", "stopping-empty"]),
  );
  await Promise.all([holding.publishDraining(), empty.publishDraining()]);
  await reading.refresh();
  // Counted, each rpm and tpm while Redis is away was divided by one node too many.
  expect(reading.liveCount()).toBe(live - 2);
  expect(reading.nodes().find((n) => n.id === "stopping-holding")).toMatchObject({
    stopping: true,
    workers: [{ ...gpu, draining: true }],
  });
  expect(reading.nodes().map((n) => n.id)).not.toContain("stopping-empty");
  expect([reading.whyNone("m-stop", "default"), reading.peerModels("default")]).toEqual([
    "draining",
    expect.arrayContaining(["m-stop"]),
  ]);
  // Closed, its entry still there for three heartbeats: still no live node.
  listed = [];
  await holding.close();
  await reading.refresh();
  expect(reading.nodes().find((n) => n.id === "stopping-holding")?.stopping).toBe(true);
  expect(reading.liveCount()).toBe(live - 2);
});

test("a stopping node's last write is close()'s own, its workers draining, and the entry expires three heartbeats later", async () => {
  const gpu = { name: "gpu-last", tenant: "default", models: ["m-last"], inFlight: 1, capacity: 8 };
  let listed: NodeEntry["workers"] = [gpu];
  // Every entry written says a later time: the one read back names the write that made it.
  let clock = 1_000;
  const now = () => ++clock;
  const heartbeatMs = 200;
  const stopping = await node("stopping-last", () => listed, steeredLink(), { heartbeatMs, now });
  await stopping.publishDraining();
  listed = [];
  await stopping.close();
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const written = JSON.parse((await probe.get("mgw:node:stopping-last")) ?? "null") as NodeEntry | null;
  expect(written).toMatchObject({
    at: clock,
    stopping: true,
    workers: [{ ...gpu, draining: true, closed: true }],
  });
  await waitFor(
    "the entry to expire",
    async () => ((await probe.exists("mgw:node:stopping-last")) ? undefined : true),
    3 * heartbeatMs + 3_000,
  );
}, 10_000);

test("a node restarted under the same id keeps its predecessor's draining workers listed until each registers here or the predecessor's entry would have expired", async () => {
  const gpu = { name: "gpu-again", tenant: "default", models: ["m-again"], inFlight: 0, capacity: 8 };
  const cpu = { name: "cpu-again", tenant: "default", models: ["m-again-cpu"], inFlight: 0, capacity: 2 };
  let clock = 50_000;
  const now = () => clock;
  const heartbeatMs = 600_000;
  let held: NodeEntry["workers"] = [gpu, cpu];
  const before = await node("restarted", () => held, steeredLink(), { now });
  const calling = await node("calling-restarted", () => []);
  await before.publishDraining();
  held = [];
  await before.close();
  // The same id started again at once, none of the workers back yet.
  clock += 1_000;
  let connected: NodeEntry["workers"] = [];
  const after = await node("restarted", () => connected, steeredLink(), { now });
  await calling.refresh();
  // Before: the new entry listed none of them, and both models read as served nowhere (a 404).
  expect(["m-again", "m-again-cpu"].map((m) => calling.whyNone(m, "default"))).toEqual([
    "draining",
    "draining",
  ]);
  // One registers here: listed as it is, once.
  connected = [gpu];
  await after.entryChanged();
  await waitFor("the calling node to see the worker back", () =>
    calling.peersServing("m-again", "default").some((n) => n.id === "restarted") ? true : undefined,
  );
  const listedAfter = calling.peers().find((n) => n.id === "restarted")?.workers;
  expect(listedAfter).toEqual([gpu, { ...cpu, draining: true, closed: true }]);
  // Three heartbeats after the predecessor's last write, the one that never came back is gone: its
  // entry's time to live in Redis as this node read it (a moment after the write), on this node's clock.
  clock = 51_000 + 3 * heartbeatMs;
  await after.refresh();
  await calling.refresh();
  expect(calling.peers().find((n) => n.id === "restarted")?.workers).toEqual([gpu]);
  expect(calling.whyNone("m-again-cpu", "default")).toBe("not_served");
});

test("a node whose id's entry in Redis is none it can read (not JSON, no workers list, a worker without a name) starts all the same, inheriting nothing, and publishes its own", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const unreadable = ["{not json", "{}", JSON.stringify({ at: 1, workers: [{ models: ["m"] }] })];
  for (const [n, text] of unreadable.entries()) {
    const id = `unreadable-${n}`;
    await probe.send("SET", [`mgw:node:${id}`, text]);
    await node(id, () => []);
    const calling = await node(`calling-unreadable-${n}`, () => []);
    await calling.refresh();
    expect(calling.peers().find((peer) => peer.id === id)?.workers).toEqual([]);
  }
});

test("a predecessor's entry with one worker this build cannot read keeps the others listed, draining", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const good = { name: "gpu-kept", tenant: "default", models: ["m-kept"], inFlight: 0, capacity: 4 };
  const entry = { id: "partly-readable", at: Date.now(), workers: [{ models: ["m-unnamed"] }, good] };
  // Written as a node writes its entry: for three heartbeats.
  await probe.send("SET", ["mgw:node:partly-readable", JSON.stringify(entry), "PX", "60000"]);
  await node("partly-readable", () => []);
  const calling = await node("calling-partly-readable", () => []);
  await calling.refresh();
  expect(calling.peers().find((peer) => peer.id === "partly-readable")?.workers).toEqual([
    { ...good, draining: true, closed: true },
  ]);
});

/** A directory under `id` on a link of its own, not started: the test starts it (and it is closed after). */
async function unstarted(
  id: string,
  url: string,
  options: Partial<NodeDirectoryOptions> = {},
  link: RedisLink = steeredLink(),
) {
  expect(await link.start()).toBe(true);
  const directory = new NodeDirectory({
    link,
    self: { id, url },
    heartbeatMs: 600_000,
    workers: () => [],
    ...options,
  });
  closing.push(
    () => link.close(),
    () => directory.close(),
  );
  return directory;
}

const outcome = (start: Promise<void>) =>
  start.then(
    () => "started",
    (error: Error) => error.message,
  );

test("a second process started under a live node's name is refused naming the holder's URL, at the same URL too (one advertise_url copied into every file), once the holder's lease would have lapsed", async () => {
  const first = await unstarted("twin", "http://twin.invalid", { heartbeatMs: 100 });
  await first.start();
  for (const url of ["http://elsewhere.invalid", "http://twin.invalid"]) {
    const second = await unstarted("twin", url, { heartbeatMs: 100 });
    expect(await outcome(second.start())).toBe(
      "cluster node name twin is in use by a live node at http://twin.invalid: give each node a cluster.node_name of its own (its default is advertise_url's host:port)",
    );
  }
  const calling = await node("calling-twin", () => []);
  // The holder's 100 ms beats may slip past its entry's validity on a loaded machine while the
  // twins wait out its lease (read as gone, as a stalled node is): it beats once more just before.
  await first.refresh();
  await calling.refresh();
  expect(calling.peers().find((peer) => peer.id === "twin")?.url).toBe("http://twin.invalid");
});

test("a second process waiting out a live node's lease is refused all the same when Redis fails its calls meanwhile: a failed call is no free name", async () => {
  const first = await unstarted("hiccup", "http://hiccup-1.invalid", { heartbeatMs: 100 });
  await first.start();
  const link = steeredLink();
  const twin = await unstarted("hiccup", "http://hiccup-2.invalid", { heartbeatMs: 100 }, link);
  // The first take answers that the name is held; every call after it fails.
  link.failAfter(1);
  expect(await outcome(twin.start())).toBe(
    new NodeNameTaken("hiccup", "http://hiccup-1.invalid", "ERR the test's Redis failed this call").message,
  );
});

test("a process whose every call to Redis fails as it starts (no live holder ever seen) starts once a lease would have lapsed, as when Redis is away at start, and writes no entry until a beat takes the name", async () => {
  const link = steeredLink();
  const starting = await unstarted("unanswered", "http://unanswered.invalid", { heartbeatMs: 100 }, link);
  link.failAfter(0);
  expect(await outcome(starting.start())).toBe("started");
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  expect(await probe.get("mgw:node:unanswered")).toBeNull();
  expect(await probe.get("mgw:name:unanswered")).toBeNull();
});

test("a lease this build cannot read (not JSON, no instance, no URL) is taken over at once, not waited out as a live node's", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const unreadable = [
    "{not json",
    JSON.stringify({ url: "http://no-instance.invalid" }),
    JSON.stringify({ instance: "i" }),
  ];
  for (const [n, text] of unreadable.entries()) {
    await probe.send("SET", [`mgw:name:odd-lease-${n}`, text, "PX", "60000"]);
    const starting = await unstarted(`odd-lease-${n}`, "http://odd-lease.invalid", { heartbeatMs: 100 });
    expect(await outcome(starting.start())).toBe("started");
    expect(JSON.parse((await probe.get(`mgw:name:odd-lease-${n}`)) ?? "{}").url).toBe(
      "http://odd-lease.invalid",
    );
  }
});

test("two processes started at once under one name: one starts, the other is refused", async () => {
  // The lease outlives any stall of this process (a minute), and the refused start's wait for it
  // runs on a clock the test moves: neither the lease lapsing under load nor a wait it times out on.
  let clock = 0;
  const options = { heartbeatMs: 100, leaseMs: 60_000, now: () => clock };
  const both = [
    await unstarted("together", "http://together-1.invalid", options),
    await unstarted("together", "http://together-2.invalid", options),
  ];
  const outcomes: string[] = [];
  const starts = both.map((directory) => outcome(directory.start()).then((said) => outcomes.push(said)));
  await waitFor("one start to be refused, the lease's minute past on the test's clock", () => {
    clock += 10_000;
    return outcomes.length === 2;
  });
  await Promise.all(starts);
  expect(outcomes.filter((said) => said === "started")).toHaveLength(1);
  expect(outcomes.filter((said) => said.startsWith("cluster node name together is in use"))).toHaveLength(1);
});

test("a node restarted at a new URL after its predecessor was killed (its lease left, not renewed) starts once the lease lapses, whatever the clocks of the hosts", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  // The killed process's lease, as Redis holds it: its time is Redis's, never a host's clock.
  await probe.send("SET", [
    "mgw:name:killed",
    JSON.stringify({ instance: "killed", url: "http://old-ip.invalid" }),
    "PX",
    "300",
  ]);
  const entry = { id: "killed", url: "http://old-ip.invalid", at: Date.now() + 15_000, workers: [] };
  await probe.send("SET", ["mgw:node:killed", JSON.stringify(entry)]);
  const restarted = await unstarted("killed", "http://new-ip.invalid", { heartbeatMs: 100 });
  expect(await outcome(restarted.start())).toBe("started");
  expect(restarted.nodes().find((n) => n.id === "killed")?.url).toBe("http://new-ip.invalid");
});

test("a node that stops lets its successor take its name at once (its lease says it stops), neither warns, and its lease is gone once it closes", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const told: string[] = [];
  const gpu = { name: "gpu-handed", tenant: "default", models: ["m-handed"], inFlight: 0, capacity: 4 };
  const stopping = await unstarted("handed", "http://handed.invalid", {
    workers: () => [gpu],
    onNamesake: (url) => told.push(`predecessor told of ${url}`),
  });
  await stopping.start();
  await stopping.publishDraining();
  // The heartbeat is ten minutes: a successor that waited for the lease would time the test out.
  const successor = await unstarted("handed", "http://handed-2.invalid", {
    onNamesake: (url) => told.push(`successor told of ${url}`),
  });
  expect(await outcome(successor.start())).toBe("started");
  expect(successor.nodes().find((n) => n.id === "handed")?.workers).toEqual([
    { ...gpu, draining: true, closed: true },
  ]);
  await stopping.refresh();
  await successor.refresh();
  expect(told).toEqual([]);
  await stopping.close();
  // The successor holds the name now: the predecessor's close removes only a lease of its own.
  expect(JSON.parse((await probe.get("mgw:name:handed")) ?? "{}").url).toBe("http://handed-2.invalid");
  await successor.close();
  expect(await probe.get("mgw:name:handed")).toBeNull();
});

test("a node whose beat finds its name held by another live process warns, once per other process", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const told: string[] = [];
  const own = await node("overwritten", () => [], steeredLink(), { onNamesake: (url) => told.push(url) });
  await own.refresh();
  expect(told).toEqual([]);
  for (const intruder of ["one", "one", "two"]) {
    const lease = { instance: intruder, url: `http://${intruder}.invalid` };
    await probe.send("SET", ["mgw:name:overwritten", JSON.stringify(lease), "PX", "60000"]);
    await own.refresh();
  }
  expect(told).toEqual(["http://one.invalid", "http://two.invalid"]);
});

test("a node whose beat finds its name held by another live process writes nothing under it, the holder's entry standing, and says so (namesake) until the name is free: then it publishes its own again", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const gpu = { name: "gpu-shadowed", tenant: "default", models: ["m"], inFlight: 0, capacity: 4 };
  const own = await node("shadowed", () => [gpu]);
  expect(own.namesake()).toBeNull();
  const lease = { instance: "intruder", url: "http://intruder.invalid" };
  await probe.send("SET", ["mgw:name:shadowed", JSON.stringify(lease), "PX", "60000"]);
  const theirs = JSON.stringify({
    id: "shadowed",
    url: "http://intruder.invalid",
    at: Date.now(),
    workers: [],
  });
  await probe.send("SET", ["mgw:node:shadowed", theirs, "PX", "60000"]);
  await own.entryChanged();
  await own.refresh();
  expect(await probe.get("mgw:node:shadowed")).toBe(theirs);
  expect(own.namesake()).toBe("http://intruder.invalid");
  await probe.del("mgw:name:shadowed");
  await own.refresh();
  expect(JSON.parse((await probe.get("mgw:node:shadowed")) ?? "{}").url).toBe("http://shadowed.invalid");
  expect(own.namesake()).toBeNull();
});

test("a node that stops writes nothing under its name once its successor holds it: the successor's entry stands through the predecessor's beats and after its close", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const old = { name: "gpu-old", tenant: "default", models: ["m-over"], inFlight: 1, capacity: 4 };
  const fresh = { name: "gpu-new", tenant: "default", models: ["m-over"], inFlight: 0, capacity: 4 };
  const predecessor = await unstarted("over", "http://over-1.invalid", { workers: () => [old] });
  await predecessor.start();
  await predecessor.publishDraining();
  const successor = await unstarted("over", "http://over-2.invalid", { workers: () => [fresh] });
  await successor.start();
  const written = async () => JSON.parse((await probe.get("mgw:node:over")) ?? "{}") as NodeEntry;
  const successors = await written();
  expect(successors.url).toBe("http://over-2.invalid");
  await predecessor.refresh();
  expect(await written()).toEqual(successors);
  await predecessor.close();
  expect(await written()).toEqual(successors);
  expect(await probe.sismember("mgw:nodes", "over")).toBe(true);
});

test("a node that stops and drains longer than three heartbeats after its successor took its name keeps its workers read as draining by every other node until it closes, never as served nowhere (a 404)", async () => {
  // Heartbeats of ten minutes on a clock of the test's: each beat is one the test makes, as a
  // node's timer would, however late a loaded machine runs the timers.
  let clock = 80_000;
  const now = () => clock;
  const heartbeatMs = 600_000;
  const gpu = { name: "gpu-long", tenant: "default", models: ["m-long"], inFlight: 1, capacity: 4 };
  const predecessor = await unstarted("long", "http://long-1.invalid", { workers: () => [gpu], now });
  await predecessor.start();
  await predecessor.publishDraining();
  const successor = await unstarted("long", "http://long-2.invalid", { now });
  expect(await outcome(successor.start())).toBe("started");
  const calling = await node("calling-long", () => [], steeredLink(), { now });
  // Six heartbeats on, both beating at each: the predecessor's last entry would have expired twice over.
  for (let beat = 0; beat < 6; beat++) {
    clock += heartbeatMs;
    await predecessor.refresh();
    await successor.refresh();
  }
  await calling.refresh();
  expect(calling.whyNone("m-long", "default")).toBe("draining");
  // Its drain over, the predecessor's workers are gone three heartbeats after its last write.
  await predecessor.close();
  clock += 3 * heartbeatMs;
  await successor.refresh();
  await calling.refresh();
  expect(calling.whyNone("m-long", "default")).toBe("not_served");
});

test("a node whose every beat Redis answers with an error (WRONGTYPE on its name's key) says so after three heartbeats, its entry written by none, and not once the beats go through again", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  await probe.send("RPUSH", ["mgw:name:wrongtype", "not a lease"]);
  const failing = await unstarted("wrongtype", "http://wrongtype.invalid", { heartbeatMs: 100 });
  expect(await outcome(failing.start())).toBe("started");
  expect(await waitFor("three failing beats", () => failing.beatsFailing())).toContain("WRONGTYPE");
  expect(await probe.get("mgw:node:wrongtype")).toBeNull();
  await probe.del("mgw:name:wrongtype");
  await waitFor("a beat through", () => failing.beatsFailing() === null);
  expect(JSON.parse((await probe.get("mgw:node:wrongtype")) ?? "{}").url).toBe("http://wrongtype.invalid");
});

test("the name's lease outlives a beat late by one call timing out (two beats, the timeout, slack), not three heartbeats alone, and no more: a crashed node waits that long for its name", async () => {
  const heartbeat = 1_000;
  const redisTimeout = 2_000;
  expect(leaseTtlMs(heartbeat, redisTimeout)).toBeGreaterThanOrEqual(2 * heartbeat + redisTimeout);
  expect(leaseTtlMs(heartbeat, redisTimeout)).toBe(5_000);
  expect(leaseTtlMs(60_000, redisTimeout)).toBe(180_000);
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  // Built as start-cluster.ts builds it: a heartbeat of 100 ms, a timeout of 3.9 s (a 5 s lease).
  await node("lasting", () => [], steeredLink(), leaseTimings({ heartbeat: 100, redis_timeout: 3_900 }));
  expect(Number(await probe.send("PTTL", ["mgw:name:lasting"]))).toBeGreaterThan(4_000);
});

test("a node of a cluster stamps its entry with the cluster's id and reads no entry another cluster stamped; an unstamped one (the previous release's, during a roll) it reads", async () => {
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  const ours = await node("stamped-ours", () => [], steeredLink(), { clusterId: "cluster-ours" });
  await node("stamped-theirs", () => [], steeredLink(), { clusterId: "cluster-theirs" });
  // A node of the release before stamps, in this database.
  await probe.send("SET", [
    "mgw:node:unstamped-old",
    JSON.stringify({ id: "unstamped-old", url: "http://old.invalid", at: Date.now(), workers: [] }),
    "PX",
    "60000",
  ]);
  await probe.sadd("mgw:nodes", "unstamped-old");
  await ours.refresh();
  const ids = ours.nodes().map((n) => n.id);
  expect(ids).toContain("stamped-ours");
  expect(ids).toContain("unstamped-old");
  expect(ids).not.toContain("stamped-theirs");
  expect(JSON.parse((await probe.get("mgw:node:stamped-ours")) ?? "{}").cluster).toBe("cluster-ours");
});

/** How many times Redis ran each command since `CONFIG RESETSTAT` (INFO commandstats). */
async function commandCounts(probe: RedisClient): Promise<Record<string, number>> {
  const info = (await probe.send("INFO", ["commandstats"])) as string;
  const counts: Record<string, number> = {};
  for (const [, name, calls] of info.matchAll(/^cmdstat_(\w+):calls=(\d+)/gm))
    counts[name ?? ""] = Number(calls);
  return counts;
}

test("a burst of worker changes costs a beat and a notice per beat, not one per change, and the other nodes read only the changed node's entry", async () => {
  let listed: NodeEntry["workers"] = [];
  const changing = await node("changing", () => listed);
  const others = [await node("other-1", () => []), await node("other-2", () => [])];
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  await probe.send("CONFIG", ["RESETSTAT"]);
  // 100 workers register in one turn (a gateway restarted under its fleet): each is a change.
  const changes: Promise<void>[] = [];
  for (let w = 0; w < 100; w++) {
    listed = [...listed, { name: `w${w}`, tenant: "default", models: ["m"], inFlight: 0, capacity: 8 }];
    changes.push(changing.entryChanged());
  }
  await Promise.all(changes);
  for (const other of others)
    await waitFor("every other node to see the hundred workers", () =>
      other.peers().find((n) => n.id === "changing")?.workers.length === 100 ? true : undefined,
    );
  const counts = await commandCounts(probe);
  // This test's nodes are the only ones open (afterEach closed the others'): every command counted
  // is theirs. The beat the first change started, and one after it carrying the rest: the node's
  // own reads of the directory (SMEMBERS) are those two beats', so no other node renewed its entry
  // or read the whole directory on a notice; each read the changed entry once a notice, at most.
  // Each beat renews the node's name and writes its entry in one script (name-lease.ts): two SETs
  // and one SADD (its round trips: the test below).
  expect(counts.set).toBe(4);
  expect(counts.sadd).toBe(2);
  expect(counts.smembers).toBe(2);
  expect(counts.publish).toBe(2);
  expect(counts.mget ?? 0).toBeLessThanOrEqual(2 + 2 * others.length);
});

test("every node's entry names the release its build runs, so the other nodes see a rolling upgrade's mixed releases", async () => {
  await node("upgraded", () => []);
  const reading = await node("reading", () => []);
  expect(reading.nodes().map((n) => [n.id, n.release])).toContainEqual(["upgraded", RELEASE]);
});

/**
 * A link that counts the round trips its calls make: a command sent once a reply came back since
 * the one before it waited for that reply (a new round trip); commands sent in one turn go
 * together (Bun's auto-pipelining).
 */
class RoundTripLink extends RedisLink {
  roundTrips = 0;
  private repliedSinceLastSent = true;

  override call<T>(work: (client: RedisClient) => Promise<T>, unvouched = false): Promise<T> {
    return super.call((client) => work(this.counting(client)), unvouched);
  }

  private counting(client: RedisClient): RedisClient {
    return new Proxy(client, {
      get: (target, name, receiver) => {
        const value: unknown = Reflect.get(target, name, receiver);
        if (typeof value !== "function") return value;
        return (...args: unknown[]) => {
          if (this.repliedSinceLastSent) this.roundTrips++;
          this.repliedSinceLastSent = false;
          const answer = (value as (...a: unknown[]) => unknown).apply(target, args);
          if (answer instanceof Promise)
            void answer.then(
              () => (this.repliedSinceLastSent = true),
              () => (this.repliedSinceLastSent = true),
            );
          return answer;
        };
      },
    });
  }
}

test("a beat that carries a notice costs four round trips to Redis: the cluster's claim renewed, the name and entry in one script, the notice with the directory's list, the entries", async () => {
  const claim = new ClusterClaim({ cluster: "round-trips", node: "counted", url: "http://counted.invalid" });
  const link = new RoundTripLink({
    url: redis.url,
    timeoutMs: 5000,
    vouch: (client) => claim.check(client),
  });
  const probe = new RedisClient(redis.url);
  closing.push(() => probe.close());
  await probe.del(CLUSTER_KEY);
  closing.push(() => probe.del(CLUSTER_KEY));
  const counted = await node("counted", () => [], link);
  const listener = new RedisClient(redis.url);
  closing.push(() => listener.close());
  const told: string[] = [];
  await listener.subscribe("mgw:nodes:changed", (node) => told.push(node));
  link.roundTrips = 0;
  await counted.entryChanged();
  expect(link.roundTrips).toBe(4);
  await waitFor("the notice heard", () => told.includes("counted"));
});
