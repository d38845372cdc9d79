import { expect, test } from "bun:test";
import { RedisClient } from "bun";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { leaseTimings, leaseTtlMs } from "./name-lease.ts";
import type { NodeEntry } from "./node-entry.ts";
import { NodeNameTaken } from "./node-name.ts";
import { directoryTestbed } from "./testing/directory-testbed.ts";

// A node's name in the cluster: the lease that keeps a second process off a live node's name, the
// hand-over to a successor, and a beat that finds the name held by another process.
const { redis, closing, steeredLink, node, unstarted } = directoryTestbed();

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
  // Built as cluster-directory.ts builds it: a heartbeat of 100 ms, a timeout of 3.9 s (a 5 s lease).
  await node("lasting", () => [], steeredLink(), leaseTimings({ heartbeat: 100, redis_timeout: 3_900 }));
  expect(Number(await probe.send("PTTL", ["mgw:name:lasting"]))).toBeGreaterThan(4_000);
});
