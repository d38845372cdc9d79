import { expect, test } from "bun:test";
import { RedisClient } from "bun";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { RELEASE } from "../core/build-commit.ts";
import { CLUSTER_KEY, ClusterClaim } from "./cluster-claim.ts";
import type { NodeEntry } from "./node-entry.ts";
import { RedisLink } from "./redis-link.ts";
import { directoryTestbed } from "./testing/directory-testbed.ts";

// What a node's directory costs Redis (commands per beat and notice, round trips) and what its
// entry carries for the others (the cluster's id, the release).
const { redis, closing, steeredLink, node } = directoryTestbed();

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
