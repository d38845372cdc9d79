/**
 * `cluster.secret` goes to a peer as a plain header (`x-mindgw-cluster-secret`, on the peer link's
 * upgrade, a forward and its cancel), to the URL that node advertises: an `http://` advertise_url
 * off the host hands it, with every forwarded prompt and answer, to whoever is on the way. A node
 * says so once as it starts, and `mindgw config check` says so, naming the setting; a loopback or
 * https URL says nothing.
 */
import { beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { CLUSTER_SECRET, nodeConfig } from "./harness/cluster-nodes.ts";
import { configFiles } from "./harness/config-cli-fixture.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
const { writeConfig } = configFiles();
let databaseUrl: string;
let redisUrl: string;

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  databaseUrl = await postgres.createDatabase("plain_advertise");
  redisUrl = redis.url;
}, 90_000);

/** A node's config advertising `advertise` (not where it listens: no other node calls it here). */
function advertising(advertise: string, port: number): Record<string, unknown> {
  const config = nodeConfig({ name: "plain", databaseUrl, redisUrl, port });
  return { ...config, cluster: { ...(config.cluster as object), advertise_url: advertise } };
}

const WARNING = /cluster\.advertise_url is plain http \(http:\/\/192\.0\.2\.7:8080\)/g;

test("a node advertising a plain http URL off its host warns once as it starts, naming cluster.advertise_url", async () => {
  const port = freePort();
  const node = await fx.spawn({ config: advertising("http://192.0.2.7:8080", port), port });
  await waitFor("the warning", () => (node.stderr.all.match(WARNING) ? true : undefined));
  // Said with the start's other warnings, not at each heartbeat: two of the node's entry writes on, once.
  const redis = new RedisClient(redisUrl);
  fx.defer(() => redis.close());
  const wrote = async () => (JSON.parse((await redis.get("mgw:node:plain")) ?? "{}") as { at?: number }).at;
  let before = await wrote();
  for (let beats = 0; beats < 2; beats++) {
    const seen = before;
    before = await waitFor("the node to write its entry again", async () => {
      const at = await wrote();
      return at !== undefined && at !== seen ? at : undefined;
    });
  }
  expect(node.stderr.all.match(WARNING)).toHaveLength(1);
  expect(node.stderr.all).toMatch(/carries cluster\.secret/);
  expect(node.stderr.all).not.toContain(CLUSTER_SECRET);
});

test("mindgw config check warns of a plain http advertise_url off the host, and of no loopback or https one", async () => {
  const results = await Promise.all(
    ["http://192.0.2.7:8080", "http://127.0.0.1:8080", "https://10.0.0.7:8443"].map(async (advertise) =>
      runMindgw(["config", "check", "-c", await writeConfig(advertising(advertise, 8080))]),
    ),
  );
  expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
  expect(results.map((r) => (r.stderr.match(WARNING) ?? []).length)).toEqual([1, 0, 0]);
  expect(results[1]?.stderr).not.toContain("advertise_url");
  expect(results[2]?.stderr).not.toContain("advertise_url");
});
