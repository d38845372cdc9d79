/**
 * Config changes across three nodes. Each node serves its own path, a hard link to one shared
 * file, which the test edits in place through the shared name: every node's file changes and no
 * node's folder sees an event, as with a file on a network mount written from another host (a
 * symlink would not do: the watch follows it to the shared folder). A
 * SIGHUP to one node makes it re-read the file, apply it and announce it through Redis; the other
 * two must re-read theirs within a second, and every node reports the version it runs. A node
 * given a different file keeps it, and the disagreement shows in /readyz (who disagrees), the
 * admin status (with each node's fingerprint) and the log.
 */
import { beforeAll, describe, expect, test } from "bun:test";
import { linkSync, mkdirSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { CLUSTER_SECRET } from "./harness/cluster-nodes.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import { type RedisServer, startRedis } from "./harness/redis-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";

interface ConfigRun {
  version: number;
  fingerprint: string;
  disagreeing: { node: string; fingerprint: string }[];
}

let postgres: PostgresServer;
let redis: RedisServer;
let nodes: GatewayProcess[] = [];
let adminKey: string;
const shared = tempDir("mindgw-shared-");
const sharedFile = shared.file("mindgw.yaml");
const NAMES = ["node-a", "node-b", "node-c"] as const;
const [A, B, C] = [0, 1, 2] as const;
const node = (i: number) => nodes[i]!;

/** The one file every node reads; what differs per node comes from its environment. */
function sharedConfig(databaseUrl: string, models: string[]): string {
  return stringify({
    storage: { driver: "postgres", url: databaseUrl, pool: 3, sslmode: "disable", connect_timeout: "1s" },
    cluster: {
      redis_url: redis.url,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the config's own ${VAR}, filled by the gateway
      advertise_url: "http://127.0.0.1:${NODE_PORT}",
      secret: CLUSTER_SECRET,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: as above
      node_name: "${NODE_NAME}",
      heartbeat: "200ms",
    },
    providers: [{ name: "mock", type: "mock" }],
    models: models.map((name) => ({ name, routes: [{ provider: "mock", model: "mock" }] })),
    audit: { flush_ms: 20 },
  });
}

/** Replaces `path` in one step (rename within its directory), as deploy tools do. */
function replaceFile(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

let databaseUrl: string;

// No fake (the mock provider); the nodes, PostgreSQL and Redis are the fixture's, and so is the
// shared folder (removed with it), which holds each node's own directory too.
const fx = gatewayFixture({ fake: null, gateway: false, dir: shared.path });

beforeAll(async () => {
  [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  databaseUrl = await postgres.createDatabase("config");
  replaceFile(sharedFile, sharedConfig(databaseUrl, ["mock"]));
  const start = (name: string) => {
    const dir = join(shared.path, name);
    mkdirSync(dir);
    const configPath = join(dir, "mindgw.yaml");
    linkSync(sharedFile, configPath);
    const port = freePort();
    return fx.startGateway({ dir, configPath, port, env: { NODE_PORT: String(port), NODE_NAME: name } });
  };
  // The first node finds the store empty and prints the one admin key.
  const first = await start(NAMES[0]);
  adminKey = first.adminKey ?? "";
  nodes = [first, ...(await Promise.all(NAMES.slice(1).map(start)))];
  await waitFor("three nodes in the directory", async () => (await clusterOf(A)).nodes === 3, 10_000);
}, 90_000);

/** Node `i`'s view of the cluster as its admin status has it: live nodes, and the config it runs. */
async function clusterOf(i: number): Promise<{ nodes: number; config: ConfigRun }> {
  const response = await fetch(`${node(i).url}/admin/api/status`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  const body = (await response.json()) as { cluster: { nodes: unknown[]; config: ConfigRun } };
  return { nodes: body.cluster.nodes.length, config: body.cluster.config };
}

const chat = (i: number, model: string) =>
  fetch(`${node(i).url}/v1/chat/completions`, {
    method: "POST",
    headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
    body: JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] }),
  });

describe("config changes across three nodes", () => {
  test("nodes on one file agree: one fingerprint, nobody disagreeing", async () => {
    const runs = await Promise.all([A, B, C].map(clusterOf));
    expect(new Set(runs.map((r) => r.config.fingerprint)).size).toBe(1);
    expect(runs.map((r) => r.config.version)).toEqual([1, 1, 1]);
    // The directory has seen every node's entry (with its config) by now.
    await waitFor("every node to see the others' config", async () =>
      (await Promise.all([A, B, C].map(clusterOf))).every(
        (r) => r.nodes === 3 && r.config.disagreeing.length === 0,
      ),
    );
    // /readyz, open to anyone, says they agree, without the fingerprint: a digest of settings that
    // include secrets is for trusted callers only.
    const open = (await (await fetch(`${node(A).url}/readyz`)).json()) as { cluster: { config: unknown } };
    expect(open.cluster.config).toEqual({
      version: 1,
      agrees: true,
      disagreeing: [],
      other_release_nodes: 0,
    });
  });

  test("SIGHUP on one node: the others re-read their config within a second", async () => {
    const before = (await clusterOf(A)).config.fingerprint;
    // In place, through the shared name: no node's folder sees it, so nobody has noticed the edit.
    writeFileSync(sharedFile, sharedConfig(databaseUrl, ["mock", "mock-two"]));
    for (const i of [A, B, C]) {
      const response = await chat(i, "mock-two");
      await response.arrayBuffer();
      expect(response.status).toBe(404);
    }
    node(A).proc.kill("SIGHUP");
    await waitFor("node A to apply the edit", async () => (await clusterOf(A)).config.version === 2, 5_000);
    // Within a second of A applying it, B and C serve the new model too.
    await Promise.all(
      [B, C].map((i) =>
        waitFor(
          `node ${NAMES[i]} to serve the new model`,
          async () => {
            const response = await chat(i, "mock-two");
            await response.arrayBuffer();
            return response.status === 200;
          },
          1000,
          10,
        ),
      ),
    );
    const runs = await Promise.all([A, B, C].map(clusterOf));
    expect(runs.map((r) => r.config.version)).toEqual([2, 2, 2]);
    expect(new Set(runs.map((r) => r.config.fingerprint)).size).toBe(1);
    expect(runs[0]!.config.fingerprint).not.toBe(before);
  });

  test("a node given a different file keeps it; every node shows the disagreement", async () => {
    // Node C's path now names a file of its own, no longer the shared one (its watch sees this).
    replaceFile(node(C).configPath, sharedConfig(databaseUrl, ["mock", "mock-two", "mock-three"]));
    await waitFor(
      "node C to apply its own file",
      async () => (await clusterOf(C)).config.version === 3,
      5_000,
    );
    const own = (await clusterOf(C)).config.fingerprint;
    const agreed = (await clusterOf(A)).config.fingerprint;
    expect(own).not.toBe(agreed);
    // Each node's view of the others, with the fingerprint it last heard from each: a view one
    // heartbeat old still holds C's earlier config, which disagrees too.
    const disagreeing = async (i: number) =>
      (await clusterOf(i)).config.disagreeing
        .map((d) => `${d.node} ${d.fingerprint}`)
        .sort()
        .join(",");
    await waitFor("A and B to see C run its own file", async () =>
      (await disagreeing(A)) === `node-c ${own}` && (await disagreeing(B)) === `node-c ${own}`
        ? true
        : undefined,
    );
    await waitFor(
      "C to see A and B disagree",
      async () => (await disagreeing(C)) === `node-a ${agreed},node-b ${agreed}`,
    );
    // /readyz names who disagrees, and nothing of what they run.
    const open = (await (await fetch(`${node(A).url}/readyz`)).json()) as { cluster: { config: unknown } };
    expect(open.cluster.config).toEqual({
      version: 2,
      agrees: false,
      disagreeing: [{ node: "node-c", version: 3 }],
      other_release_nodes: 0,
    });
    // C's notice made A and B re-read theirs: unchanged, so they stay on version 2.
    expect((await clusterOf(A)).config.version).toBe(2);
    expect((await clusterOf(B)).config.version).toBe(2);
    // Each node serves its own config.
    const three = await chat(C, "mock-three");
    expect(three.status).toBe(200);
    const elsewhere = await chat(A, "mock-three");
    expect(elsewhere.status).toBe(404);
    // The admin status lists every node with the config it runs (from the node list A refreshes
    // on its own beat, so within one).
    const byNode = async () => {
      const status = (await (
        await fetch(`${node(A).url}/admin/api/status`, { headers: { authorization: `Bearer ${adminKey}` } })
      ).json()) as { cluster: { nodes: { id: string; config: { fingerprint: string } | null }[] } };
      return Object.fromEntries(status.cluster.nodes.map((n) => [n.id, n.config?.fingerprint]));
    };
    const expected = { "node-a": agreed, "node-b": agreed, "node-c": own };
    await waitFor("A's status to list each node's config", async () =>
      Bun.deepEquals(await byNode(), expected) ? true : undefined,
    );
    // And it is logged, naming the node that differs.
    await waitFor("A to log the disagreement", () =>
      `${node(A).stdout.all}${node(A).stderr.all}`.includes(
        `config differs between nodes: this node runs ${agreed}, node-c runs ${own}`,
      ),
    );
  });
});

describe("a cluster node needs the shared store", () => {
  test("cluster: on SQLite is refused by config check and by serve, which never joins", async () => {
    const own = join(shared.path, "on-sqlite");
    mkdirSync(own);
    const configPath = join(own, "mindgw.yaml");
    const config = parse(sharedConfig(databaseUrl, ["mock"])) as Record<string, unknown>;
    const written = stringify({ ...config, storage: { driver: "sqlite", path: "./mindgw.db" } });
    writeFileSync(configPath, written);
    // Placed at the `cluster:` mapping, which begins on the line after its key, indented two.
    const place = `${configPath}:${written.split("\n").indexOf("cluster:") + 2}:3`;
    const env = { NODE_PORT: String(freePort()), NODE_NAME: "node-sqlite" };
    const refusal =
      "cluster: needs storage.driver: postgres, which every node shares (SQLite is one node's own file)";
    const check = await runMindgw(["config", "check", "-c", configPath], { env });
    expect({ code: check.code, stderr: check.stderr }).toEqual({
      code: 2,
      stderr: `invalid config: ${configPath}\n  ${place}: ${refusal}\n`,
    });
    const serve = await runMindgw(["serve", "-c", configPath], { env });
    expect(serve.code).toBe(2);
    expect(serve.stderr).toContain(refusal);
    expect(serve.stdout).not.toContain("serving on");
    expect((await clusterOf(A)).nodes).toBe(3);
  });
});
