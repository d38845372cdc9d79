import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { NodeDirectory, type NodeEntry } from "./node-directory.ts";
import { RedisLink } from "./redis-link.ts";

let redis: RedisServer;
const closing: (() => unknown)[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const close of closing.reverse()) await close();
  await redis.stop();
});

/** A node on the test's Redis whose heartbeat never comes within a test: only a notice can tell it anything. */
async function node(id: string, workers: () => NodeEntry["workers"]) {
  const link = new RedisLink({ url: redis.url, timeoutMs: 5000, writeAtOnce: true });
  expect(await link.start()).toBe(true);
  const directory = new NodeDirectory({
    link,
    self: { id, url: `http://${id}.invalid` },
    heartbeatMs: 600_000,
    workers,
  });
  await directory.start();
  closing.push(
    () => link.close(),
    () => directory.close(),
  );
  return directory;
}

test("a worker that starts draining is chosen by no other node from then on: its node publishes it and tells the others to read again, without a heartbeat", async () => {
  const gpu = { name: "gpu", tenant: "default", models: ["m"], inFlight: 0, capacity: 8 };
  let listed: NodeEntry["workers"] = [gpu];
  const holding = await node("holding", () => listed);
  const calling = await node("calling", () => []);
  // The calling node started after the holding one: its first read saw the worker.
  expect(calling.peersServing("m", "default").map((n) => n.id)).toEqual(["holding"]);
  listed = [{ ...gpu, draining: true }];
  await holding.workersChanged();
  await waitFor("the calling node to see the worker draining", () =>
    calling.peers()[0]?.workers[0]?.draining === true ? true : undefined,
  );
  // Its model is still there, only none takes a call for it.
  expect(calling.peersServing("m", "default")).toEqual([]);
  expect(calling.whyNone("m", "default")).toBe("draining");
  expect(calling.peerModels("default")).toEqual(["m"]);
});

test("a node that left the directory publishes nothing more, whatever asks (its workers closed as it stops)", async () => {
  const leaving = await node("leaving", () => []);
  const staying = await node("staying", () => []);
  await waitFor("the staying node to see the other", async () => {
    await staying.refresh();
    return staying.peers().some((n) => n.id === "leaving") ? true : undefined;
  });
  await leaving.close();
  await leaving.workersChanged();
  await staying.refresh();
  expect(staying.peers().map((n) => n.id)).not.toContain("leaving");
});
