/**
 * Three `mindgw serve` nodes on one PostgreSQL and one Redis, all real servers started here.
 * What must hold across nodes: exact limits, revocation everywhere within a second, Responses
 * chains continued anywhere, a worker held by one node serving requests sent to another, and
 * the behaviour while Redis or PostgreSQL is restarted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisClient } from "bun";
import OpenAI from "openai";
import { type CannedUpstream, startCannedUpstream } from "../fake-upstream/canned-upstream.ts";
import { auditRecords, createKey } from "./harness/admin-api.ts";
import { launchBrowser, type TestBrowser } from "./harness/browser.ts";
import { CLUSTER_SECRET, nodeConfig } from "./harness/cluster-nodes.ts";
import { listenToEvents } from "./harness/event-stream.ts";
import { freePort } from "./harness/free-port.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { backgroundLoad, burst, type ChatInit, chatAt } from "./harness/node-load.ts";
import { startOidcIssuer } from "./harness/oidc-issuer.ts";
import { type PostgresServer, startPostgres } from "./harness/postgres-server.ts";
import { type RedisServer, startRedis } from "./harness/redis-server.ts";
import { runMindgw } from "./harness/run-mindgw.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { requestIdOf, spawnTail } from "./harness/spawn-tail.ts";
import {
  createKey as createWorkerKey,
  type FakeProcess,
  spawnFakeUpstream,
  spawnWorker,
  type WorkerProcess,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { tempDir } from "./harness/temp-dir.ts";
import { waitFor } from "./harness/wait-for.ts";
import { callUntil } from "./harness/wait-for-ok.ts";

let postgres: PostgresServer;
let redis: RedisServer;
let fake: FakeProcess;
let nodes: GatewayProcess[] = [];
let worker: WorkerProcess | undefined;
let adminKey: string;
let databaseUrl: string;

const [A, B, C] = [0, 1, 2] as const;
const node = (i: number) => nodes[i]!;

/** USD per million tokens of the mock model, in and out ($0.1 a token): a budget has a cost to count. */
const MOCK_PRICE = 100_000;
/** Every node's config beyond the cluster's own: the mock model priced. */
const NODE_EXTRA = { prices: { mock: { input_per_mtok: MOCK_PRICE, output_per_mtok: MOCK_PRICE } } };

// The fake for the workers; the nodes, PostgreSQL and Redis are the fixture's too (stopped with it).
const fx = gatewayFixture<FakeProcess>({ fake: () => spawnFakeUpstream(), gateway: false });

beforeAll(async () => {
  fake = fx.fake;
  [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  databaseUrl = await postgres.createDatabase("cluster");
  // The first node finds the store empty and prints the one admin key; the others start after it.
  const first = await fx.startNode({ name: "node-a", databaseUrl, redisUrl: redis.url, extra: NODE_EXTRA });
  adminKey = first.adminKey ?? "";
  const rest = await Promise.all(
    ["node-b", "node-c"].map((name) =>
      fx.startNode({ name, databaseUrl, redisUrl: redis.url, extra: NODE_EXTRA }),
    ),
  );
  nodes = [first, ...rest];
  // Every node sees the other two in the directory.
  await waitFor(
    "three nodes in the directory",
    async () => (await status(A)).cluster?.nodes.length === 3,
    10_000,
  );
}, 90_000);

interface ClusterStatus {
  release?: string;
  cluster?: {
    redis: string;
    limits: string;
    nodes: { id: string; release: string | null; workers: number }[];
    links: { node: string; state: string; sentOverLink: number; sentOverHttp: number }[];
  };
}

async function status(i: number): Promise<ClusterStatus> {
  const response = await fetch(`${node(i).url}/admin/api/status`, {
    headers: { authorization: `Bearer ${adminKey}` },
  });
  return (await response.json()) as ClusterStatus;
}

/** Whether a WebSocket to node `i`'s peer-link endpoint opens with these headers (else: why not). */
function linkOpens(i: number, headers: Record<string, string>): Promise<boolean> {
  const BunWebSocket = WebSocket as unknown as new (url: string, options: Bun.WebSocketOptions) => WebSocket;
  const socket = new BunWebSocket(`${node(i).url.replace(/^http/, "ws")}/cluster/v1/link`, { headers });
  return new Promise((resolve) => {
    socket.onopen = () => {
      socket.close();
      resolve(true);
    };
    socket.onclose = () => resolve(false);
  });
}

const chat = (i: number, key: string, init: ChatInit = {}) => chatAt(node(i).url, key, init);

/** Six clients sending one request after another, spread over `over`, until stopped. */
const loadOver = (key: string, over: readonly number[]) =>
  backgroundLoad((turn) => chat(over[turn % over.length]!, key));

describe("three nodes on one PostgreSQL and one Redis", () => {
  test("every node's status lists each live node with the release it runs (a rolling upgrade's mixed builds show)", async () => {
    for (const i of [A, B, C]) {
      // A node started before the last one lists it from its next heartbeat.
      const own = await waitFor(`node ${i} listing three nodes`, async () => {
        const read = await status(i);
        return read.cluster?.nodes.length === 3 ? read : undefined;
      });
      const release = own.release ?? "";
      expect(release).toMatch(/^\d+\.\d+\.\d+\+/);
      expect(own.cluster?.nodes.map((n) => n.release)).toEqual([release, release, release]);
    }
  });

  test("rpm is exact over the cluster: 200 concurrent requests spread over three nodes, limit 50", async () => {
    const { key } = await createKey({ url: node(A).url, adminKey }, { name: "fifty", rpm: 50 });
    const statuses = await burst(200, (i) => chat(i % 3, key));
    expect(statuses.filter((s) => s === 200).length).toBe(50);
    expect(statuses.filter((s) => s === 429).length).toBe(150);
  }, 60_000);

  test("tpm and budget are exact for one client sending one request after another, round-robin over the nodes", async () => {
    // Each answer's tokens and cost must count before the next request is admitted, on whichever
    // node: the mock answers at once, so the next request follows the last answer within a few ms.
    const answer = (await (await chat(A, adminKey)).json()) as { usage: { total_tokens: number } };
    const tokens = answer.usage.total_tokens;
    const cost = (tokens * MOCK_PRICE) / 1e6;
    // Ten answers fit under each limit; the tenth's reaches it.
    const keys = await Promise.all([
      createKey({ url: node(A).url, adminKey }, { name: "sequential-tpm", tpm: 10 * tokens - 1 }),
      createKey({ url: node(A).url, adminKey }, { name: "sequential-budget", budget_usd: 9.5 * cost }),
    ]);
    for (const { key } of keys) {
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        const response = await chat(i % 3, key);
        await response.arrayBuffer();
        statuses.push(response.status);
      }
      expect(statuses).toEqual([...Array(10).fill(200), ...Array(10).fill(429)]);
    }
  }, 30_000);

  test("a key revoked on one node is refused on every other within a second", async () => {
    const { key, id } = await createKey({ url: node(A).url, adminKey }, { name: "doomed" });
    for (const i of [A, B, C]) expect((await chat(i, key)).status).toBe(200);
    const revoked = await fetch(`${node(A).url}/admin/api/keys/${id}/revoke`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(revoked.status).toBe(200);
    // A deadline of one second, as promised; the condition is polled, not slept on.
    await Promise.all(
      [B, C].map((i) =>
        waitFor(
          `node ${i} to refuse the revoked key`,
          async () => (await chat(i, key)).status === 401,
          1000,
          10,
        ),
      ),
    );
  });

  test("a key revoked with `mindgw keys revoke -c` (off any node) is refused on every node within a second", async () => {
    const { key, id } = await createKey({ url: node(A).url, adminKey }, { name: "cli-doomed" });
    for (const i of [A, B, C]) expect((await chat(i, key)).status).toBe(200);
    // The CLI writes PostgreSQL and announces the change in Redis, like a node would.
    const revoked = await runMindgw(["keys", "revoke", "-c", node(B).configPath, id]);
    expect(revoked.code).toBe(0);
    expect(revoked.stderr).not.toContain("could not tell the cluster");
    await Promise.all(
      [A, B, C].map((i) =>
        waitFor(
          `node ${i} to refuse the key revoked by the CLI`,
          async () => (await chat(i, key)).status === 401,
          1000,
          10,
        ),
      ),
    );
  });

  test("a key rotated on one node: the new key works everywhere within a second, the old one through its grace, then refused on every node within a second", async () => {
    const { key: old, id } = await createKey({ url: node(A).url, adminKey }, { name: "rotating" });
    // Every node has the old key in its cache before the rotation.
    for (const i of [A, B, C]) expect((await chat(i, old)).status).toBe(200);
    const rotation = await fetch(`${node(A).url}/admin/api/keys/${id}/rotate`, {
      method: "POST",
      headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
      body: JSON.stringify({ grace: "4s" }),
    });
    expect(rotation.status).toBe(201);
    const rotated = (await rotation.json()) as { key: string; previous: { expires_at: string } };
    const graceEnds = Date.parse(rotated.previous.expires_at);
    await Promise.all(
      [B, C].map((i) =>
        waitFor(
          `node ${i} to accept the new key`,
          async () => (await chat(i, rotated.key)).status === 200,
          1000,
          10,
        ),
      ),
    );
    // During the grace the old key still works on the other nodes: an answer that arrives before
    // the grace ends was decided before it, so it must be a 200.
    let checked = 0;
    for (const i of [B, C]) {
      const response = await chat(i, old);
      if (Date.now() >= graceEnds) break;
      expect(response.status).toBe(200);
      checked++;
    }
    expect(checked).toBeGreaterThan(0);
    // Once the grace is over, every node refuses it within a second: each node's refusal time,
    // asserted once after the wait.
    const refusedAt = await Promise.all(
      [A, B, C].map((i) =>
        waitFor(
          `node ${i} to refuse the old key after its grace`,
          async () => (await chat(i, old)).status === 401 && Date.now(),
          Math.max(0, graceEnds - Date.now()) + 1000,
          10,
        ),
      ),
    );
    for (const at of refusedAt) expect(at).toBeGreaterThanOrEqual(graceEnds);
  }, 30_000);

  test("a Responses chain started on one node continues on another, and reads back on a third", async () => {
    const client = (i: number) => new OpenAI({ baseURL: `${node(i).url}/v1`, apiKey: adminKey });
    const first = await client(A).responses.create({ model: "mock", input: "remember 42", store: true });
    // Stored before it is answered: a follow-up sent the moment it arrives continues it on another
    // node, as an agent loop does.
    const second = await client(B).responses.create({
      model: "mock",
      input: "what was it?",
      previous_response_id: first.id,
      store: true,
    });
    expect(second.id).not.toBe(first.id);
    const read = await client(C).responses.retrieve(second.id);
    expect(read.id).toBe(second.id);
    // Deleted on a third node, gone for every node (the store is the shared one).
    await client(C).responses.delete(second.id);
    const gone = await client(A)
      .responses.retrieve(second.id)
      .then(() => null)
      .catch((error: unknown) => error);
    expect(gone).toBeInstanceOf(OpenAI.NotFoundError);
  });

  test("every Responses answer, streamed or not, is continued at once on another node", async () => {
    const client = (i: number) =>
      new OpenAI({ baseURL: `${node(i).url}/v1`, apiKey: adminKey, maxRetries: 0 });
    const streamedId = async (i: number, previous?: string) => {
      const stream = await client(i).responses.create({
        model: "mock",
        input: "go on",
        stream: true,
        ...(previous ? { previous_response_id: previous } : {}),
      });
      let id: string | undefined;
      for await (const event of stream) if (event.type === "response.completed") id = event.response.id;
      return id ?? "";
    };
    for (let turn = 0; turn < 10; turn++) {
      const [from, to] = turn % 2 === 0 ? [A, B] : [C, A];
      const whole = await client(from).responses.create({ model: "mock", input: `turn ${turn}` });
      const next = await client(to).responses.create({
        model: "mock",
        input: "and?",
        previous_response_id: whole.id,
      });
      expect(next.status).toBe("completed");
      const streamed = await streamedId(from);
      expect(await streamedId(to, streamed)).toStartWith("resp_");
    }
  });

  test("mindgw tail on one node shows the requests every node takes, each once, naming its node", async () => {
    const tail = spawnTail(["--json", "--gateway", node(A).url, "--admin-key", adminKey]);
    try {
      // The other nodes start relaying once they see node A watching (two heartbeats at most):
      // requests sent before then are not shown, so send until one from each shows.
      const seen = (id: string) =>
        tail.lines().filter((line) => line.type === "request.finished" && requestIdOf(line) === id);
      // A call to B then one to C each poll: the first not answered 200 is the poll's status.
      const lastTurn = await callUntil(
        "requests on nodes B and C in node A's tail",
        async (turn) => {
          const toB = await chat(B, adminKey, { id: `tail-${B}-${turn}` });
          return toB.status === 200 ? chat(C, adminKey, { id: `tail-${C}-${turn}` }) : toB;
        },
        () => [B, C].every((i) => tail.lines().some((l) => requestIdOf(l).startsWith(`tail-${i}-`))),
        10_000,
      );
      const relayed = await waitFor("a whole relayed request from node C", () => {
        const id = `tail-${C}-${lastTurn}`;
        const finished = seen(id);
        return finished.length > 0 ? { id, finished } : undefined;
      });
      expect(relayed.finished.length).toBe(1);
      expect(relayed.finished[0]?.record?.node).toBe("node-c");
      expect(tail.lines().some((l) => l.type === "request.started" && requestIdOf(l) === relayed.id)).toBe(
        true,
      );
      // Node A's own request: shown once, not again through Redis.
      expect((await chat(A, adminKey, { id: "tail-own" })).status).toBe(200);
      await tail.finished("tail-own");
      await waitFor("a later request from node B after node A's own", async () => {
        const id = `tail-${B}-after`;
        if (!tail.lines().some((l) => requestIdOf(l) === id)) await chat(B, adminKey, { id });
        return seen(id).length > 0;
      });
      expect(seen("tail-own").length).toBe(1);
    } finally {
      await tail.stop();
    }
  }, 30_000);

  test("single sign-on started on one node finishes on another: no sticky sessions, and the session holds on a third", async () => {
    const client = { id: "mindgw-admin", secret: "issuer-test-secret" };
    const issuer = fx.own(await startOidcIssuer(client));
    // The provider sends the browser back to node B, as a load balancer might, whoever started it.
    const oidc = {
      issuer: issuer.url,
      client_id: client.id,
      client_secret: client.secret,
      redirect_url: `${node(B).url}/admin/auth/callback`,
      allowed_groups: ["platform"],
    };
    // Every node runs the same config: each checks a single sign-on session against its allow-list.
    for (const [i, name] of [
      [A, "node-a"],
      [B, "node-b"],
      [C, "node-c"],
    ] as const) {
      const port = Number(new URL(node(i).url).port);
      await node(i).writeConfig(
        nodeConfig({
          name,
          databaseUrl,
          redisUrl: redis.url,
          port,
          extra: { ...NODE_EXTRA, admin_ui: { oidc } },
        }),
      );
      await waitFor(`single sign-on live on ${name}`, async () => {
        const info = (await (await fetch(`${node(i).url}/admin/auth/session`)).json()) as { oidc: boolean };
        return info.oidc;
      });
    }
    const started = await fetch(`${node(A).url}/admin/auth/oidc`, { redirect: "manual" });
    expect(started.status).toBe(302);
    const pending = (started.headers.get("set-cookie") ?? "").split(";")[0] ?? "";
    expect(pending).toStartWith("mindgw_oidc=");
    const approved = await fetch(started.headers.get("location") ?? "", { redirect: "manual" });
    const callback = approved.headers.get("location") ?? "";
    expect(callback).toStartWith(`${node(B).url}/admin/auth/callback?`);
    const finished = await fetch(callback, { redirect: "manual", headers: { cookie: pending } });
    expect(finished.status).toBe(302);
    expect(finished.headers.get("location")).toBe("/admin/");
    const session = finished.headers
      .getSetCookie()
      .map((cookie) => cookie.split(";")[0] ?? "")
      .find((cookie) => cookie.startsWith("mindgw_session=") && cookie !== "mindgw_session=");
    expect(session).toBeDefined();
    expect(issuer.refusals).toEqual([]);
    const onC = (await (
      await fetch(`${node(C).url}/admin/auth/session`, { headers: { cookie: session ?? "" } })
    ).json()) as { signedIn: boolean; user?: { name: string } };
    expect(onC).toMatchObject({ signedIn: true, user: { name: "ops@example.com" } });
    // The same callback again: the provider takes a code once, so a replay signs nobody in.
    const replayed = await fetch(callback, { redirect: "manual", headers: { cookie: pending } });
    expect(replayed.headers.get("location")).toStartWith("/admin/?error=");
  }, 30_000);

  test("one audit row per request, written by the node that took it, in the shared store", async () => {
    for (const i of [A, B, C]) expect((await chat(i, adminKey, { id: `row-${i}` })).status).toBe(200);
    for (const i of [A, B, C]) {
      const rows = await waitFor(`row-${i}`, async () => {
        const found = (await auditRecords({ url: node(C).url, adminKey })).filter(
          (r) => r.requestId === `row-${i}`,
        );
        return found.length > 0 ? found : undefined;
      });
      expect(rows.length).toBe(1);
      // A local route: taken and served by the same node.
      const name = ["node-a", "node-b", "node-c"][i];
      expect({ node: rows[0]!.node, servedNode: rows[0]!.servedNode }).toEqual({
        node: name,
        servedNode: name,
      });
    }
  });

  test("a second node started under a live node's name is refused, exit 1, naming that node's URL; the cluster keeps three", async () => {
    const dir = tempDir();
    try {
      const port = freePort();
      await Bun.write(
        dir.file("twin.yaml"),
        JSON.stringify(
          nodeConfig({ name: "node-a", databaseUrl, redisUrl: redis.url, port, extra: NODE_EXTRA }),
        ),
      );
      const refused = await runMindgw(["serve", "-c", dir.file("twin.yaml")], { timeoutMs: 30_000 });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`cluster node name node-a is in use by a live node at ${node(A).url}`);
      expect((await status(B)).cluster?.nodes.find((n) => n.id === "node-a")).toBeDefined();
      expect((await fetch(`${node(B).url}/readyz`).then((r) => r.json())).cluster.nodes).toBe(3);
    } finally {
      dir.cleanup();
    }
  }, 60_000);

  describe("a second cluster on the same Redis server", () => {
    const OTHER_SECRET = "another-cluster-secret-abcdefgh";
    /** A node of another cluster: its own database and secret, on `redisUrl` (`cluster` goes in its config's place). */
    const otherCluster = async (name: string, redisUrl: string) => {
      const port = freePort();
      const databaseUrl = await postgres.createDatabase(name);
      const { cluster } = nodeConfig({ name, databaseUrl, redisUrl, port });
      return {
        name,
        port,
        databaseUrl,
        redisUrl,
        extra: { cluster: { ...(cluster as object), secret: OTHER_SECRET } },
      };
    };

    test("on the same Redis database: refused at start, exit 1, naming both clusters", async () => {
      const dir = tempDir();
      try {
        const other = await otherCluster("other-same-db", redis.url);
        await Bun.write(dir.file("other.yaml"), JSON.stringify(nodeConfig(other)));
        const refused = await runMindgw(["serve", "-c", dir.file("other.yaml")], { timeoutMs: 30_000 });
        expect(refused.code).toBe(1);
        expect(refused.stderr).toContain("the Redis database of cluster.redis_url is another cluster's");
        // Named by the cluster's id (its PostgreSQL database's) and the node that renewed the claim.
        expect(refused.stderr).toMatch(
          /\(cluster [0-9a-f-]{36}, renewed by its node node-[abc] at http:\/\/127\.0\.0\.1:\d+; this node's cluster is [0-9a-f-]{36}, from its PostgreSQL database\)/,
        );
        expect(refused.stderr).not.toContain(OTHER_SECRET);
        // The first cluster lost no node to it.
        expect((await status(A)).cluster?.nodes.map((n) => n.id).sort()).toEqual([
          "node-a",
          "node-b",
          "node-c",
        ]);
      } finally {
        dir.cleanup();
      }
    }, 60_000);

    test("a node of this cluster (its PostgreSQL database) with a new cluster.secret starts and serves: a rotation rolls, node by node, each half reading only its own half's entries (sealed with its secret)", async () => {
      const port = freePort();
      const { cluster } = nodeConfig({ name: "node-rotated", databaseUrl, redisUrl: redis.url, port });
      const rotated = await fx.startNode({
        name: "node-rotated",
        databaseUrl,
        redisUrl: redis.url,
        port,
        extra: { ...NODE_EXTRA, cluster: { ...(cluster as object), secret: OTHER_SECRET } },
      });
      const listed = async () => {
        const response = await fetch(`${rotated.url}/admin/api/status`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        return ((await response.json()) as ClusterStatus).cluster?.nodes.map((n) => n.id);
      };
      try {
        // Its first directory read lists itself (its entry sealed with its own secret) and, in the
        // same read, none of the other half's, whose entries stood long before.
        const seen = await waitFor("the rotated node's own entry in its directory", async () => {
          const ids = await listed();
          return ids?.includes("node-rotated") ? ids : undefined;
        });
        expect(seen).toEqual(["node-rotated"]);
        expect((await fetch(`${rotated.url}/readyz`)).status).toBe(200);
      } finally {
        await rotated.stop("SIGTERM");
      }
      await waitFor(
        "node A's directory back to three",
        async () => (await status(A)).cluster?.nodes.length === 3,
      );
    }, 60_000);

    test('a claim another cluster takes while the nodes run (a Redis restarted without its data): each node stays ready, saying redis "foreign" and on local limits (no full outage), logs the holder once; freed, each claims it again and says redis "up"', async () => {
      const probe = new RedisClient(redis.url);
      const claim = JSON.stringify({
        cluster: "intruder-cluster",
        node: "intruder-1",
        url: "http://intruder.invalid",
      });
      try {
        await probe.send("SET", ["mgw:cluster", claim]);
        for (const i of [A, B, C]) {
          const foreign = await waitFor(`node ${i} to say its Redis is another cluster's`, async () => {
            const ready = await fetch(`${node(i).url}/readyz`);
            const body = (await ready.json()) as { cluster: { redis: string; limits: string } };
            return body.cluster.redis === "foreign" && { status: ready.status, limits: body.cluster.limits };
          });
          expect(foreign.status).toBe(200);
          expect(foreign.limits).toStartWith("local");
        }
        const scraped = await (
          await fetch(`${node(A).url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })
        ).text();
        expect(scraped).toMatch(/^mindgw_cluster_redis_up 1$/m);
        expect(scraped).toMatch(/^mindgw_cluster_redis_foreign 1$/m);
        expect(node(A).stderr.all).toContain(
          "cluster intruder-cluster, renewed by its node intruder-1 at http://intruder.invalid",
        );
        // Still answering on local limits meanwhile.
        expect((await chat(A, adminKey, { id: "while-foreign" })).status).toBe(200);
        await probe.del("mgw:cluster");
        for (const i of [A, B, C])
          await waitFor(
            `node ${i}'s Redis this cluster's again`,
            async () =>
              ((await (await fetch(`${node(i).url}/readyz`)).json()) as { cluster: { redis: string } })
                .cluster.redis === "up",
          );
        expect(JSON.parse((await probe.get("mgw:cluster")) ?? "{}").node).toMatch(/^node-[abc]$/);
        const said = node(A).stderr.all;
        expect(said.split("this node uses it for nothing until it is this cluster's again").length).toBe(2);
        await waitFor("node A's log of the claim regained", () =>
          node(A).stderr.all.includes(
            "the Redis database of cluster.redis_url is this cluster's again: limits are shared across nodes, live events relayed",
          ),
        );
      } finally {
        await probe.del("mgw:cluster").catch(() => {});
        probe.close();
      }
    }, 60_000);

    test("on another Redis database: its live stream gets none of the first cluster's requests (pub/sub is server-wide)", async () => {
      const other = await fx.startNode(await otherCluster("other-db-1", `${redis.url}/1`));
      const theirs = listenToEvents(other);
      const ours = listenToEvents({ url: node(A).url, adminKey });
      try {
        await Promise.all([theirs.ready, ours.ready]);
        // Node A watches: B relays its requests on the channel, which the other cluster hears too.
        const relayed = (stream: typeof ours, prefix: string) =>
          stream.events.some((e) => e.type === "request.finished" && e.record.requestId.startsWith(prefix));
        await callUntil(
          "node B's requests in node A's live stream",
          (turn) => chat(B, adminKey, { id: `isolated-${turn}` }),
          () => relayed(ours, "isolated-"),
          10_000,
        );
        // The other cluster's own request, sent after: once its reader has it, a relayed one would be there.
        expect((await chatAt(other.url, other.adminKey ?? "", { id: "other-own" })).status).toBe(200);
        await waitFor("the other cluster's own request in its stream", () => relayed(theirs, "other-own"));
        expect(relayed(theirs, "isolated-")).toBe(false);
        expect((await status(A)).cluster?.nodes.length).toBe(3);
      } finally {
        theirs.close();
        ours.close();
      }
    }, 60_000);
  });

  describe("a worker connected to node B", () => {
    // For the admin UI check below. Started here, beside the worker, so that Chromium's start
    // counts against no test's deadline: on a loaded machine it is the slowest step, and a test
    // that overruns its deadline has bun kill every process the file started (the nodes,
    // PostgreSQL, Redis), failing every later test of the file with it. A failed start is
    // reported by the test that uses the browser.
    let browser: Promise<TestBrowser>;
    beforeAll(async () => {
      browser = launchBrowser();
      browser.catch(() => {});
      fx.defer(() => browser.then((started) => started.close()).catch(() => {}));
      const token = await createWorkerKey(node(B).url, adminKey, {
        name: "fleet",
        role: "worker",
        models: ["*"],
      });
      // Given two nodes, as behind a load balancer: it dials the next after a lost connection.
      fx.defer(() => worker?.stop("SIGKILL"));
      worker = spawnWorker({
        gateway: `${node(B).url},${node(C).url}`,
        token,
        upstream: `${fake.url}/v1`,
        name: "w1",
        models: ["fake-model"],
      });
      await waitForWorkers(node(B).url, adminKey, ["w1"]);
      // Node A learns of it from the directory within a heartbeat or two.
      await waitFor("node A to route fake-model", async () => {
        const response = await fetch(`${node(A).url}/v1/models`, {
          headers: { authorization: `Bearer ${adminKey}` },
        });
        return JSON.stringify(await response.json()).includes("fake-model");
      });
    }, 60_000);

    test("node A's /admin/api/routing lists the worker's models behind node B, as its /v1/models does", async () => {
      const read = async (path: string) =>
        (await fetch(`${node(A).url}${path}`, { headers: { authorization: `Bearer ${adminKey}` } })).json();
      const listed = (await read("/v1/models")) as { data: { id: string }[] };
      expect(listed.data.map((model) => model.id)).toContain("fake-model");
      const routing = (await read("/admin/api/routing")) as { workerModels: string[] };
      expect(routing.workerModels).toEqual(["fake-model"]);
    });

    test("serves a request sent to node A (non-stream and stream), audited once on A naming worker and node", async () => {
      const plain = await chat(A, adminKey, { model: "fake-model", id: "fwd-plain" });
      expect(plain.status).toBe(200);
      const body = (await plain.json()) as { choices: { message: { content: string } }[] };
      expect(body.choices[0]?.message.content.length).toBeGreaterThan(0);
      const streamed = await chat(A, adminKey, { model: "fake-model", stream: true, id: "fwd-stream" });
      expect(streamed.status).toBe(200);
      expect(streamed.headers.get("content-type")).toContain("text/event-stream");
      const text = await streamed.text();
      expect(text).toContain("data: [DONE]");
      for (const id of ["fwd-plain", "fwd-stream"]) {
        const rows = await waitFor(id, async () => {
          const found = (await auditRecords({ url: node(A).url, adminKey })).filter(
            (r) => r.requestId === id,
          );
          return found.length > 0 ? found : undefined;
        });
        expect(rows.length).toBe(1);
        expect(rows[0]!.route).toBe("worker:w1@node-b");
        expect(rows[0]!.status).toBe(200);
        expect({ node: rows[0]!.node, servedNode: rows[0]!.servedNode }).toEqual({
          node: "node-a",
          servedNode: "node-b",
        });
      }
      // Both went over node A's peer link to node B (its frame switch), none over HTTP.
      const link = (await status(A)).cluster?.links.find((l) => l.node === "node-b");
      expect(link?.state).toBe("open");
      expect(link?.sentOverLink).toBeGreaterThanOrEqual(2);
      expect(link?.sentOverHttp).toBe(0);
      // The export carries both nodes as columns of their own.
      const csv = await (
        await fetch(`${node(A).url}/admin/api/audit/export?format=csv&model=fake-model`, {
          headers: { authorization: `Bearer ${adminKey}` },
        })
      ).text();
      const [header, ...lines] = csv.trim().split("\r\n");
      const columns = header!.split(",");
      const row = lines.find((line) => line.startsWith("fwd-plain,"))!.split(",");
      // Counted from the end: an earlier cell (the attempts' JSON) may hold quoted commas.
      const cell = (name: string) => row[row.length - (columns.length - columns.indexOf(name))];
      expect(cell("node")).toBe("node-a");
      expect(cell("servedNode")).toBe("node-b");
    }, 30_000);

    test("the route filter `worker:w1` takes w1's forwarded rows (worker:w1@node-b) too, in `mindgw audit query` and the admin API alike; a node named, only its own", async () => {
      const ids = async (route: string) => {
        const cli = await runMindgw(["audit", "query", "-c", node(A).configPath, "--route", route, "--json"]);
        expect(cli.code).toBe(0);
        const fromCli = cli.stdout
          .trim()
          .split("\n")
          .filter((line) => line !== "")
          .map((line) => (JSON.parse(line) as { requestId: string }).requestId);
        const fromApi = (await auditRecords({ url: node(A).url, adminKey }, { route })).map(
          (r) => r.requestId,
        );
        expect(fromCli.sort()).toEqual(fromApi.sort());
        return fromApi;
      };
      const forwarded = ["fwd-plain", "fwd-stream"];
      expect(await ids("worker:w1")).toEqual(expect.arrayContaining(forwarded));
      expect(await ids("worker:w1@node-b")).toEqual(expect.arrayContaining(forwarded));
      expect(await ids("worker:w1@node-c")).toEqual([]);
    });

    test("the admin UI's request detail on node A names the node that took the request and the one that served it", async () => {
      const page = await (await browser).newPage();
      // Each step fails on its own with a named error before the test's deadline can (an overrun
      // deadline would take the file's processes with it, above): the launch's own 30 s, then nine
      // steps of at most 10 s each (the nine took 2.2-3.4 s in all at load 11-15).
      page.setDefaultTimeout(10_000);
      try {
        await page.goto(`${node(A).url}/admin/`);
        await page.getByLabel("Admin key").fill(adminKey);
        await page.keyboard.press("Enter");
        await page.getByRole("heading", { name: "Overview" }).waitFor();
        await page.goto(`${node(A).url}/admin/requests`);
        await page.getByLabel("Model").fill("fake-model");
        await page.getByRole("button", { name: "Apply" }).click();
        await page.getByRole("button", { name: "Open request fwd-plain" }).click();
        const nodes = page
          .locator("dl.facts dt", { hasText: /^Nodes$/ })
          .locator("xpath=following-sibling::dd[1]");
        expect(await nodes.textContent()).toBe("taken by node-a · served by node-b");
      } finally {
        await page.close();
      }
    }, 120_000);

    test("a client that leaves node A cancels the generation on the worker behind node B", async () => {
      const abort = new AbortController();
      const response = await fetch(`${node(A).url}/v1/chat/completions`, {
        method: "POST",
        headers: {
          authorization: `Bearer ${adminKey}`,
          "content-type": "application/json",
        },
        // The tunnel carries no client headers: the fake reads its behaviour from the text.
        body: JSON.stringify({
          model: "fake-model",
          stream: true,
          messages: [{ role: "user", content: "long [[fake:chunkDelay=200,chunks=200]]" }],
        }),
        signal: abort.signal,
      });
      expect(response.status).toBe(200);
      const reader = response.body!.getReader();
      await reader.read();
      abort.abort();
      await reader.cancel().catch(() => {});
      await waitFor(
        "the upstream request behind node B to be aborted",
        async () => (await fake.requests()).some((r) => r.outcome === "aborted"),
        10_000,
      );
    }, 30_000);

    test("a forwarded call cancelled before its answer is audited on node A under the worker and node it went to", async () => {
      const abort = new AbortController();
      const before = (await fake.requests()).length;
      const leaving = chat(A, adminKey, {
        model: "fake-model",
        id: "fwd-cancelled",
        content: "slow [[fake:delay=30000]]",
        signal: abort.signal,
      }).catch(() => undefined);
      await waitFor("the call to reach the upstream behind node B", async () => {
        return (await fake.requests()).length > before;
      });
      abort.abort();
      await leaving;
      const row = await waitFor("its audit row", async () =>
        (await auditRecords({ url: node(A).url, adminKey })).find((r) => r.requestId === "fwd-cancelled"),
      );
      expect({ route: row.route, node: row.node, servedNode: row.servedNode, status: row.status }).toEqual({
        route: "worker:w1@node-b",
        node: "node-a",
        servedNode: "node-b",
        status: 499,
      });
    });

    test("a request key cannot open the node-to-node endpoints (forward, peer link)", async () => {
      const response = await fetch(`${node(B).url}/cluster/v1/forward`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          operation: "chat",
          body: { model: "fake-model" },
          stream: false,
          requestId: "x",
        }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as { error: { code: string } }).error.code).toBe("unauthorized");
      // Refused like any other request: it names its request id, and leaves its audit row.
      const refusedId = response.headers.get("x-request-id");
      expect(refusedId).toBeTruthy();
      // Nor the peer link: refused at the upgrade, as is a wrong cluster secret.
      expect(await linkOpens(B, { authorization: `Bearer ${adminKey}` })).toBe(false);
      expect(await linkOpens(B, { "x-mindgw-cluster-secret": "not-the-secret" })).toBe(false);
      expect(await linkOpens(B, { "x-mindgw-cluster-secret": CLUSTER_SECRET })).toBe(true);
      // A refused upgrade has its request id too (a plain GET, as a probe would send).
      const upgrade = await fetch(`${node(B).url}/cluster/v1/link`, {
        headers: {
          connection: "Upgrade",
          upgrade: "websocket",
          "sec-websocket-version": "13",
          "sec-websocket-key": "dGhlIHNhbXBsZSBub25jZQ==",
        },
      });
      expect(upgrade.status).toBe(401);
      const upgradeId = upgrade.headers.get("x-request-id");
      expect(upgradeId).toBeTruthy();
      // Each refusal is logged, on the forward path as on the link's, and audited with its id.
      await waitFor("node B to log the refused forward", () =>
        node(B).stderr.all.includes("cluster request refused: wrong or missing cluster secret"),
      );
      const rows = await waitFor("the refusals' audit rows", async () => {
        const found = (await auditRecords({ url: node(B).url, adminKey })).filter(
          (r) => r.requestId === refusedId || r.requestId === upgradeId,
        );
        return found.length === 2 ? found : undefined;
      });
      expect(rows.map((r) => ({ status: r.status, errorClass: r.errorClass, keyId: r.keyId }))).toEqual([
        { status: 401, errorClass: "unauthorized", keyId: null },
        { status: 401, errorClass: "unauthorized", keyId: null },
      ]);
    });

    test("a forward over HTTP carries the calling node's trace context on to the worker's upstream", async () => {
      // The HTTP path (a link not open yet, a message too large for it): the calling node puts its
      // attempt's `traceparent` and `tracestate` on the forward, and the worker's call upstream must carry them.
      const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      const tracestate = "congo=t61rcWkgMzE";
      const before = (await fake.requests()).length;
      const response = await fetch(`${node(B).url}/cluster/v1/forward`, {
        method: "POST",
        headers: {
          "x-mindgw-cluster-secret": CLUSTER_SECRET,
          "content-type": "application/json",
          traceparent,
          tracestate,
        },
        body: JSON.stringify({
          operation: "chat",
          body: { model: "fake-model", messages: [{ role: "user", content: "trace me" }] },
          stream: false,
          requestId: "fwd-http-trace",
          forwardId: crypto.randomUUID(),
        }),
      });
      expect(response.status).toBe(200);
      await response.arrayBuffer();
      const seen = (await fake.requests()).slice(before);
      expect(seen.map((request) => [request.headers.traceparent, request.headers.tracestate])).toEqual([
        [traceparent, tracestate],
      ]);
    });
  });

  // A second worker behind node B, whose upstream (canned: exact bytes) serves the Responses API,
  // which the worker learns by asking it: what a client of node A gets must be what a client of
  // node B would, byte for byte, errors included.
  describe("a worker behind node B whose upstream serves the Responses API", () => {
    let up: CannedUpstream;
    let w2: WorkerProcess | undefined;
    const JSON_TYPE = { "content-type": "application/json" };
    const openaiAt = (i: number) =>
      new OpenAI({ baseURL: `${node(i).url}/v1`, apiKey: adminKey, maxRetries: 0 });
    const responseBody = (id: string) =>
      `{"id":"${id}","object":"response","created_at":1,"status":"completed","model":"up-w2",` +
      '"output":[{"type":"message","id":"msg_1","role":"assistant","status":"completed","content":[{"type":"output_text","text":"hi","annotations":[]}]}],' +
      '"usage":{"input_tokens":3,"output_tokens":1,"total_tokens":4},  "x_vendor":1}';
    const last = () => up.requests.at(-1);

    beforeAll(async () => {
      up = fx.own(startCannedUpstream());
      // The worker's start-up probe: a Responses server refuses the empty request.
      up.queue({ status: 400, headers: JSON_TYPE, body: '{"error":{"message":"model is required"}}' });
      const token = await createWorkerKey(node(B).url, adminKey, {
        name: "w2",
        role: "worker",
        models: ["*"],
      });
      w2 = spawnWorker({
        gateway: node(B).url,
        token,
        upstream: `${up.url}/v1`,
        name: "w2",
        models: ["up-w2"],
      });
      fx.defer(() => w2?.stop("SIGKILL"));
      // Every other node must know the worker before a test reaches it there: a node that has not
      // seen it yet serves a stored Responses answer from the shared store (re-serialised), not
      // through the holder.
      for (const other of [A, C])
        await waitFor(`node ${other} to route up-w2`, async () => {
          const response = await fetch(`${node(other).url}/v1/models`, {
            headers: { authorization: `Bearer ${adminKey}` },
          });
          return JSON.stringify(await response.json()).includes("up-w2");
        });
    }, 60_000);
    // The later tests kill node B, which w1 survives by dialling C; w2 leaves first.
    afterAll(() => w2?.stop("SIGKILL"));

    test("an upstream 5xx through node A reaches the client as the upstream sent it, Retry-After included", async () => {
      const overloaded =
        '{"error":{"message":"overloaded","type":"server_error","code":"overloaded"},  "x":1}';
      const before = up.requests.length;
      // Not retried on its route (routing.retries: 1): its Retry-After, 7 s, is longer than the
      // backoff, and the route is the model's only one (RELIABILITY.md).
      up.queue({ status: 503, headers: { ...JSON_TYPE, "retry-after": "7" }, body: overloaded });
      const response = await chat(A, adminKey, { model: "up-w2" });
      expect(response.status).toBe(503);
      expect(response.headers.get("retry-after")).toBe("7");
      expect(await response.text()).toBe(overloaded);
      expect(up.requests.length - before).toBe(1);
    });

    test("the Responses API is served natively through node A, read, continued and deleted from the others", async () => {
      up.queue({ headers: JSON_TYPE, body: responseBody("resp_n1") });
      // The client's own spelling: it reaches the worker's upstream byte for byte through both nodes.
      const sent = '{"model": "up-w2",  "input":"hi",\n "x_unknown": 1.0}';
      const created = await fetch(`${node(A).url}/v1/responses`, {
        method: "POST",
        headers: { authorization: `Bearer ${adminKey}`, "content-type": "application/json" },
        body: sent,
      });
      expect(await created.text()).toBe(responseBody("resp_n1"));
      expect(last()).toMatchObject({ method: "POST", path: "/v1/responses", text: sent });
      const rows = await waitFor("the audit row", async () => {
        const found = (await auditRecords({ url: node(A).url, adminKey })).filter(
          (r) => r.requestId === created.headers.get("x-request-id"),
        );
        return found.length > 0 ? found : undefined;
      });
      expect(rows[0]?.route).toBe("worker:w2@node-b");
      // Held by the worker's upstream: a read or delete on any node reaches it through node B.
      up.queue({ headers: JSON_TYPE, body: responseBody("resp_n1") });
      const read = await openaiAt(C).responses.retrieve("resp_n1").asResponse();
      expect(await read.text()).toBe(responseBody("resp_n1"));
      expect(last()).toMatchObject({ method: "GET", path: "/v1/responses/resp_n1" });
      // The chain continues natively from a third node: previous_response_id goes as sent.
      up.queue({ headers: JSON_TYPE, body: responseBody("resp_n2") });
      const next = await openaiAt(C)
        .responses.create({ model: "up-w2", input: "more", previous_response_id: "resp_n1" })
        .asResponse();
      expect(await next.text()).toBe(responseBody("resp_n2"));
      expect(JSON.parse(last()?.text ?? "{}")).toEqual({
        model: "up-w2",
        input: "more",
        previous_response_id: "resp_n1",
      });
      const deleted = '{"id":"resp_n1","object":"response.deleted","deleted":true}';
      up.queue({ headers: JSON_TYPE, body: deleted });
      const traceparent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
      const tracestate = "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7";
      const removed = await fetch(`${node(A).url}/v1/responses/resp_n1`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${adminKey}`, traceparent, tracestate },
      });
      expect(await removed.text()).toBe(deleted);
      expect(last()).toMatchObject({ method: "DELETE", path: "/v1/responses/resp_n1" });
      // Through both nodes under the id node A answered with, the caller's trace passed on.
      expect(last()?.headers["x-request-id"]).toBe(removed.headers.get("x-request-id") ?? "none");
      expect(last()?.headers.traceparent).toBe(traceparent);
      expect(last()?.headers.tracestate).toBe(tracestate);
    });
  });

  test("Redis restarted under load: every node keeps serving on local limits, then shares again", async () => {
    const { key } = await createKey(
      { url: node(A).url, adminKey },
      { name: "through-redis", rpm: 1_000_000 },
    );
    // A first start reaches Redis for the first time: nothing is shared "again" yet.
    expect(node(A).stderr.all).toMatch(/redis reachable: limits are shared across nodes\b/);
    expect(node(A).stderr.all).not.toContain("shared across nodes again");
    const load = loadOver(key, [A, B, C]);
    await waitFor("load to be under way", () => load.statuses.length >= 20);
    await redis.kill();
    await waitFor("node A to notice", async () => (await status(A)).cluster?.redis === "down", 10_000);
    for (const i of [A, B, C]) expect((await chat(i, key)).status).toBe(200);
    expect(node(A).stderr.all).toMatch(/redis unavailable .*divided by the 3 live node/);
    const metrics = async () =>
      (await fetch(`${node(A).url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text();
    const down = await metrics();
    expect(down).toMatch(/^mindgw_cluster_redis_up 0$/m);
    expect(down).toMatch(/^mindgw_cluster_nodes 3$/m);
    // Still ready (it serves), and /readyz says on what terms.
    const ready = await fetch(`${node(A).url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({
      status: "ready",
      cluster: { redis: "down", limits: "local: each rpm and tpm divided by 3", nodes: 3 },
    });
    // The admin API's status says the same (DEPLOYMENT.md, "Redis down").
    expect((await status(A)).cluster).toMatchObject({
      redis: "down",
      limits: "local: each rpm and tpm divided by 3",
    });
    await redis.start();
    await waitFor(
      "every node back on Redis",
      async () => {
        const all = await Promise.all([A, B, C].map(status));
        return all.every((s) => s.cluster?.redis === "up");
      },
      15_000,
    );
    for (const i of [A, B, C]) expect((await chat(i, key)).status).toBe(200);
    expect((await status(A)).cluster?.limits).toBe("shared");
    // Its log line comes through the pipe a moment after the status it was written with.
    await waitFor("node A's log of Redis back", () =>
      node(A).stderr.all.includes("redis reachable: limits are shared across nodes again"),
    );
    expect(await metrics()).toMatch(/^mindgw_cluster_redis_up 1$/m);
    await load.stop();
    // Through the whole outage and recovery, every request was served: none refused, none lost.
    expect(load.statuses.length).toBeGreaterThan(20);
    expect(load.statuses.filter((status) => status !== 200)).toEqual([]);
  }, 60_000);

  test("Redis away: a key revoked on one node is refused on every other within the key cache's refresh (through PostgreSQL), one created there works everywhere; Redis back, a revoke is refused everywhere within a second again", async () => {
    const admin = { url: node(A).url, adminKey };
    const revoke = async (id: string) =>
      (
        await fetch(`${node(A).url}/admin/api/keys/${id}/revoke`, {
          method: "POST",
          headers: { authorization: `Bearer ${adminKey}` },
        })
      ).status;
    const refusedEverywhere = (key: string, withinMs: number) =>
      Promise.all(
        [B, C].map((i) =>
          waitFor(
            `node ${i} to refuse the revoked key`,
            async () => (await chat(i, key)).status === 401,
            withinMs,
            10,
          ),
        ),
      );
    const doomed = await createKey(admin, { name: "doomed-redis-away" });
    for (const i of [A, B, C]) expect((await chat(i, doomed.key)).status).toBe(200);
    await redis.kill();
    try {
      await waitFor(
        "every node to take Redis as down",
        async () => (await Promise.all([A, B, C].map(status))).every((s) => s.cluster?.redis === "down"),
        10_000,
      );
      expect(await revoke(doomed.id)).toBe(200);
      // No notice reaches them: the key cache's refresh (2 s) and one store read.
      await refusedEverywhere(doomed.key, 3000);
      const made = await createKey(admin, { name: "made-redis-away" });
      for (const i of [A, B, C]) expect((await chat(i, made.key)).status).toBe(200);
    } finally {
      await redis.start();
    }
    await waitFor(
      "every node back on Redis",
      async () => (await Promise.all([A, B, C].map(status))).every((s) => s.cluster?.redis === "up"),
      15_000,
    );
    const later = await createKey(admin, { name: "doomed-redis-back" });
    for (const i of [A, B, C]) expect((await chat(i, later.key)).status).toBe(200);
    expect(await revoke(later.id)).toBe(200);
    await refusedEverywhere(later.key, 1000);
  }, 60_000);

  test("Redis frozen (SIGSTOP, as in a partition): taken as down after one timeout, limits go local, shared again once it answers", async () => {
    const { key } = await createKey({ url: node(A).url, adminKey }, { name: "frozen-redis", rpm: 1_000_000 });
    const [pid] = redis.pids();
    const ready = async (i: number) =>
      (
        (await (await fetch(`${node(i).url}/readyz`)).json()) as {
          cluster: { redis: string; limits: string };
        }
      ).cluster;
    const stopped = node(A).stderr.all.length;
    let resumed = stopped;
    try {
      process.kill(pid!, "SIGSTOP");
      // A rate-limited request waits out one Redis call's timeout at most, then is admitted on
      // local counters; the node's own heartbeat notices as soon.
      expect((await chat(A, key)).status).toBe(200);
      await waitFor(
        "node A to take the frozen Redis as down",
        async () => (await ready(A)).redis === "down",
        10_000,
      );
      // Divided by the live nodes A last read (the test before restarted Redis: maybe not all yet).
      expect((await ready(A)).limits).toMatch(/^local: each rpm and tpm divided by [123]$/);
      const metrics = await (
        await fetch(`${node(A).url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })
      ).text();
      expect(metrics).toMatch(/^mindgw_cluster_redis_up 0$/m);
      for (const i of [A, B, C]) expect((await chat(i, key)).status).toBe(200);
    } finally {
      resumed = node(A).stderr.all.length;
      process.kill(pid!, "SIGCONT");
    }
    await waitFor(
      "every node back on Redis",
      async () => (await Promise.all([A, B, C].map(ready))).every((r) => r.redis === "up"),
      15_000,
    );
    // One line a transition: gone local while Redis was stopped, never said back until it
    // answered, and said back when its link was, with no request after it.
    const whileStopped = node(A).stderr.all.slice(stopped, resumed);
    expect(whileStopped).toMatch(/redis unavailable \(redis call took over \d+ ms\)/);
    expect(whileStopped).not.toContain("redis reachable");
    await waitFor("node A to say its limits are shared again", () =>
      node(A).stderr.all.slice(resumed).includes("redis reachable: limits are shared across nodes again"),
    );
    const lines = node(A).stderr.all.slice(stopped);
    expect(lines.match(/redis unavailable/g)).toHaveLength(1);
    expect(lines.match(/redis reachable/g)).toHaveLength(1);
    // The limits' own lines are for what the link cannot see (a call Redis answered with an error).
    expect(lines).not.toContain("limits: ");
  }, 60_000);

  test("PostgreSQL restarted under load: 503 while it is down, served again without a restart", async () => {
    const load = loadOver(adminKey, [A, C]);
    await waitFor("load to be under way", () => load.statuses.length >= 20);
    await postgres.kill();
    const refused = await waitFor(
      "a 503",
      async () => {
        const response = await chat(A, adminKey);
        return response.status === 503 ? response : undefined;
      },
      15_000,
    );
    const body = (await refused.json()) as { error: { code: string } };
    expect(["audit_unavailable", "storage_unavailable"]).toContain(body.error.code);
    await postgres.start();
    await waitFor("node A to serve again", async () => (await chat(A, adminKey)).status === 200, 20_000);
    await waitFor("node C to serve again", async () => (await chat(C, adminKey)).status === 200, 20_000);
    const before = load.statuses.length;
    await waitFor(
      "the load to be served again",
      () => load.statuses.slice(before).filter((s) => s === 200).length >= 10,
      20_000,
    );
    await load.stop();
    // Served or refused with a clear 503 — never another error, never a dropped connection.
    expect(load.statuses.filter((status) => status !== 200 && status !== 503)).toEqual([]);
    expect(load.statuses).toContain(503);
  }, 60_000);

  test("kill -9 of the node holding the worker: the stream in flight fails like a lost worker, the worker reconnects to another node and serves again", async () => {
    const inFlight = await chat(A, adminKey, {
      model: "fake-model",
      stream: true,
      id: "doomed-stream",
      content: "long [[fake:chunkDelay=200,chunks=100]]",
    });
    // A long answer, so it is still streaming when node B dies.
    expect(inFlight.status).toBe(200);
    const reading = inFlight.text();
    await node(B).stop("SIGKILL");
    const text = await reading.catch((error: unknown) => String(error));
    expect(text).not.toContain("data: [DONE]");
    // While node A still lists B (three heartbeats) and before the worker is back, requests for
    // the model fail: B cannot be reached. That is no failure of the route (its breaker stays
    // closed, at five failures by default), so none of them keeps the model from the worker once
    // it is back on C.
    for (let i = 0; i < 6; i++) await (await chat(A, adminKey, { model: "fake-model" })).arrayBuffer();
    await waitForWorkers(node(C).url, adminKey, ["w1"], 20_000);
    // Node C publishes the worker at once; A reads it within a heartbeat (200 ms), B perhaps still
    // listed: a request tries B, fails over to C.
    const served = await waitFor(
      "node A to serve fake-model through node C",
      async () => {
        const response = await chat(A, adminKey, { model: "fake-model" });
        return response.status === 200 ? response : undefined;
      },
      3_000,
    );
    expect(served.status).toBe(200);
    await waitFor(
      "node A's directory to drop node B",
      async () => !((await status(A)).cluster?.nodes ?? []).some((n) => n.id === "node-b"),
      10_000,
    );
    // Node A's link to B went with B (out of the status with B's directory entry); the request
    // went over a link to C, opened for it.
    const links = (await status(A)).cluster?.links ?? [];
    expect(links.find((l) => l.node === "node-b")).toBeUndefined();
    expect(links.find((l) => l.node === "node-c")).toMatchObject({ state: "open", sentOverHttp: 0 });
    // Nothing node A accepted is lost: its rows (forwarded ones included) reach the shared store.
    // They are written off the request path, a failed batch retried (the previous test restarted
    // PostgreSQL under node A's pool), so the check waits for them, bounded, then counts them.
    const ids = ["fwd-plain", "fwd-stream", "doomed-stream"];
    const rows = await waitFor(
      "node A's rows in the shared store",
      async () => {
        const found = await auditRecords({ url: node(C).url, adminKey }, { model: "fake-model" });
        return ids.every((id) => found.some((r) => r.requestId === id)) ? found : undefined;
      },
      20_000,
    );
    for (const id of ids) expect(rows.filter((r) => r.requestId === id).length).toBe(1);
  }, 60_000);

  test("SIGTERM of the node holding the worker: a stream forwarded to it over the peer link ends whole within the drain, audited 200", async () => {
    // The worker is on node C since node B died; node A forwards to it over its link to C.
    const response = await chat(A, adminKey, {
      model: "fake-model",
      stream: true,
      id: "drained-stream",
      content: "drain me [[fake:chunkDelay=200,chunks=12]]",
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const decoder = new TextDecoder();
    let text = decoder.decode((await reader.read()).value);
    const stopping = node(C).stop("SIGTERM", 20_000);
    for (let read = await reader.read(); !read.done; read = await reader.read())
      text += decoder.decode(read.value, { stream: true });
    expect(text).toContain("data: [DONE]");
    expect(text).not.toContain('"error"');
    // The node drained and exited cleanly.
    expect(await stopping).toBe(0);
    const row = await waitFor("its audit row on node A", async () =>
      (await auditRecords({ url: node(A).url, adminKey })).find((r) => r.requestId === "drained-stream"),
    );
    expect({ route: row.route, status: row.status }).toEqual({ route: "worker:w1@node-c", status: 200 });
    // Node A heard the link close as a node stopping, not as a loss.
    await waitFor("node A to log the link closed by the stopping node", () =>
      node(A)
        .stdout.all.concat(node(A).stderr.all)
        .includes("cluster peer link closed: the node is stopping"),
    );
  }, 60_000);

  test("SIGTERM past the drain deadline: a stream forwarded to the stopping node's worker ends like its own, 503 in the stop's words, not as a lost worker", async () => {
    // A node of its own with a short drain and a worker of its own (B is gone, C stopped).
    const d = await fx.startNode({
      name: "node-d",
      databaseUrl,
      redisUrl: redis.url,
      extra: { ...NODE_EXTRA, server: { drain_timeout: "2s" } },
    });
    const token = await createWorkerKey(d.url, adminKey, { name: "w3", role: "worker", models: ["*"] });
    const w3 = spawnWorker({
      gateway: d.url,
      token,
      upstream: `${fake.url}/v1`,
      name: "w3",
      models: ["fake-model"],
    });
    fx.defer(() => w3.stop("SIGKILL"));
    await waitForWorkers(d.url, adminKey, ["w3"]);
    await waitFor("node A to see node D's worker", async () =>
      (await status(A)).cluster?.nodes.some((n) => n.id === "node-d" && n.workers === 1),
    );
    // 20 s answers: one sent to node A (forwarded over its peer link to D), one to D itself.
    const long = "long [[fake:chunkDelay=200,chunks=100]]";
    const streams = await Promise.all(
      [
        chat(A, adminKey, { model: "fake-model", stream: true, id: "drain-forwarded", content: long }),
        chatAt(d.url, adminKey, { model: "fake-model", stream: true, id: "drain-local", content: long }),
      ].map(async (answer) => {
        const response = await answer;
        expect(response.status).toBe(200);
        const reader = response.body!.getReader();
        await reader.read();
        return reader;
      }),
    );
    expect((await status(A)).cluster?.links.find((l) => l.node === "node-d")).toMatchObject({
      state: "open",
      sentOverHttp: 0,
    });
    const stopping = d.stop("SIGTERM", 20_000);
    const rest = async (reader: ReadableStreamDefaultReader<Uint8Array>) => {
      const decoder = new TextDecoder();
      let text = "";
      for (let read = await reader.read(); !read.done; read = await reader.read())
        text += decoder.decode(read.value, { stream: true });
      return text;
    };
    const [forwarded = "", local = ""] = await Promise.all(streams.map(rest));
    // The same last event on both: the stop's, not a lost worker's.
    const lastEvent = (text: string) => text.trim().split("\n\n").at(-1);
    expect(lastEvent(local)).toContain("the gateway is shutting down: drain deadline passed");
    expect(lastEvent(forwarded)).toBe(lastEvent(local));
    expect(forwarded).not.toContain("[DONE]");
    expect(await stopping).toBe(0);
    const rows = await waitFor("both streams' audit rows", async () => {
      const found = (await auditRecords({ url: node(A).url, adminKey })).filter((r) =>
        ["drain-forwarded", "drain-local"].includes(r.requestId),
      );
      return found.length === 2 ? found : undefined;
    });
    expect(
      rows
        .map((r) => ({ id: r.requestId, node: r.node, status: r.status, errorClass: r.errorClass }))
        .sort((a, b) => a.id.localeCompare(b.id)),
    ).toEqual([
      { id: "drain-forwarded", node: "node-a", status: 503, errorClass: "unavailable" },
      { id: "drain-local", node: "node-d", status: 503, errorClass: "unavailable" },
    ]);
  }, 60_000);
});
