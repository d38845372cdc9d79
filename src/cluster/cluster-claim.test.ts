import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { CLAIM_TTL_MS, CLUSTER_KEY, ClusterClaim } from "./cluster-claim.ts";
import { RedisLink } from "./redis-link.ts";

let redis: RedisServer;
let probe: RedisClient;
beforeAll(async () => {
  redis = await startRedis();
  probe = new RedisClient(redis.url);
});
afterAll(async () => {
  probe.close();
  await redis.stop();
});

/** A node of cluster `cluster` whose link is vouched for by its claim, and every health change it reported. */
function claiming(cluster: string, node: string, timeoutMs = 2_000) {
  const changes: string[] = [];
  const claim = new ClusterClaim({ cluster, node, url: `http://${node}.invalid` });
  const link = new RedisLink({
    url: redis.url,
    timeoutMs,
    vouch: (client) => claim.check(client),
    onHealthChange: (healthy, reason) => changes.push(healthy ? "up" : `down: ${reason}`),
  });
  return { link, changes };
}

const claimOf = async () => JSON.parse((await probe.get(CLUSTER_KEY)) ?? "null") as unknown;

test("the claim holds the cluster's id and the node that renewed it, nothing of its secret, and is set to last a day past its renewal (so a pause of Redis shorter than that leaves it in place)", async () => {
  await probe.del(CLUSTER_KEY);
  const { link } = claiming("cluster-a", "a-1");
  try {
    expect(await link.start()).toBe(true);
    expect(await claimOf()).toEqual({ cluster: "cluster-a", node: "a-1", url: "http://a-1.invalid" });
    expect(Number(await probe.send("PTTL", [CLUSTER_KEY]))).toBeGreaterThan(CLAIM_TTL_MS - 60_000);
  } finally {
    link.close();
  }
});

test("a link whose Redis another cluster claims is refused at connect, naming the holder's node and URL", async () => {
  await probe.del(CLUSTER_KEY);
  const { link: a } = claiming("cluster-a", "a-1");
  const { link: b, changes } = claiming("cluster-b", "b-1");
  try {
    expect(await a.start()).toBe(true);
    expect(await b.start()).toBe(false);
    expect(b.refusal()).toStartWith(
      "the Redis database of cluster.redis_url is another cluster's (cluster cluster-a, renewed by its node a-1 at http://a-1.invalid; this node's cluster is cluster-b",
    );
    expect(b.call((client) => client.send("PING", []))).rejects.toThrow("another cluster's");
    expect(changes).toEqual([]);
  } finally {
    a.close();
    b.close();
  }
});

test("a claim another cluster takes after the start: every caller falls back, said once; the claim freed, the next vouch takes it and says so", async () => {
  await probe.del(CLUSTER_KEY);
  const { link, changes } = claiming("cluster-a", "a-1");
  try {
    expect(await link.start()).toBe(true);
    expect(changes).toEqual(["up"]);
    // Another cluster's claim, where ours was freed (DEL, a restart without persistence).
    await probe.send("SET", [
      CLUSTER_KEY,
      JSON.stringify({ cluster: "cluster-b", node: "b-1", url: "http://b-1.invalid" }),
    ]);
    await link.vouch();
    await link.vouch();
    expect(link.healthy()).toBe(false);
    expect(link.reachable()).toBe(true);
    expect(link.refusal()).toContain("cluster cluster-b, renewed by its node b-1 at http://b-1.invalid");
    expect(changes).toHaveLength(2);
    expect(changes[1]).toStartWith("down: the Redis database of cluster.redis_url is another cluster's");
    expect(link.call((client) => client.send("PING", []))).rejects.toThrow("another cluster's");
    await probe.del(CLUSTER_KEY);
    await link.vouch();
    expect(link.healthy()).toBe(true);
    expect(changes).toHaveLength(3);
    expect(changes[2]).toBe("up");
    expect(await claimOf()).toEqual({ cluster: "cluster-a", node: "a-1", url: "http://a-1.invalid" });
  } finally {
    link.close();
  }
});

test("a value under the key that is no claim of this build is another's, named as it is", async () => {
  await probe.send("SET", [CLUSTER_KEY, "0123456789abcdef"]);
  const { link } = claiming("cluster-a", "a-1");
  try {
    expect(await link.start()).toBe(false);
    expect(link.refusal()).toContain('it holds "0123456789abcdef" under mgw:cluster');
  } finally {
    link.close();
    await probe.del(CLUSTER_KEY);
  }
});

test("whatever the key holds is named cut short and quoted, so no value written there fills or forges lines of the log", async () => {
  const { link } = claiming("cluster-a", "a-1");
  try {
    const forged = `x\n{"level":"info","msg":"forged"}`;
    await probe.send("SET", [
      CLUSTER_KEY,
      JSON.stringify({ cluster: "c".repeat(5_000), node: forged, url: 7 }),
    ]);
    expect(await link.start()).toBe(false);
    const refusal = link.refusal() ?? "";
    expect(refusal).toContain(`cluster "${"c".repeat(80)}" (5000 characters, cut), renewed by its node`);
    expect(refusal).toContain(`its node ${JSON.stringify(forged)} at "7"`);
    expect(refusal).not.toContain("\n");
    expect(refusal.length).toBeLessThan(600);
    await probe.send("SET", [CLUSTER_KEY, "z".repeat(5_000)]);
    link.close();
    const again = claiming("cluster-a", "a-1").link;
    expect(await again.start()).toBe(false);
    expect(again.refusal()).toContain(
      `it holds "${"z".repeat(80)}" (5000 characters, cut) under mgw:cluster`,
    );
    again.close();
  } finally {
    link.close();
    await probe.del(CLUSTER_KEY);
  }
});
