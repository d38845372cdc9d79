import { expect, test } from "bun:test";
import { RedisClient } from "bun";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import type { NodeEntry } from "./node-entry.ts";
import { directoryTestbed } from "./testing/directory-testbed.ts";

// The node directory's workers as the other nodes read them: notices, beats that meet a Redis error
// or a notice's read, a node's stop and restart. Its names and leases:
// node-directory-names.test.ts; its cost in Redis commands and cluster stamps:
// node-directory-costs.test.ts.
const { redis, closing, steeredLink, node } = directoryTestbed();

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
