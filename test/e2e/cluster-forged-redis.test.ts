/**
 * What someone who can write to the cluster's Redis, but holds no `cluster.secret`, writes there
 * (the cluster's id to stamp it with is there to read, under `mgw:cluster`) is not taken for a
 * node's. A node entry naming a URL of its own and a worker for a model: taken for a peer, a call
 * for the model was forwarded there, the prompt with it, and every request to it carried
 * `cluster.secret` in plain text (the peer link's upgrade, the forward, its cancel), the secret
 * that opens every node's forward endpoint and seals the single sign-on cookie. A relayed message
 * of made-up requests: shown in every admin's live stream (`mindgw tail`, the web UI) as traffic.
 * Nor is a genuine value replayed: an entry under another node's key, or kept past its time (an
 * earlier process's, its URL and workers), or a relayed message published again.
 */
import { beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";
import { callUntil } from "./harness/wait-for-ok.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let node: GatewayProcess;
/** A second node, joined by the relay's test and stopped by the last. */
let n2: GatewayProcess;
let redis: RedisClient;
let redisUrl: string;
let joinNode: (name: string) => Promise<GatewayProcess>;

beforeAll(async () => {
  const [postgres, server] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("forged_redis");
  redisUrl = server.url;
  joinNode = (name) => fx.startNode({ name, databaseUrl, redisUrl });
  node = await joinNode("n1");
  redis = new RedisClient(server.url);
  fx.defer(() => redis.close());
}, 90_000);

/** The cluster's id, as anyone who reads its Redis reads it. */
const clusterId = async () =>
  (JSON.parse((await redis.get("mgw:cluster")) ?? "{}") as { cluster: string }).cluster;

/** When n1 last wrote its own entry (its `at`): it reads every entry right after each write. */
const n1Wrote = async () => (JSON.parse((await redis.get("mgw:node:n1")) ?? "{}") as { at?: number }).at;

test("a forged entry naming another URL is read as none: no prompt and no cluster secret go there", async () => {
  const asked: string[] = [];
  const listener = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch(request) {
      asked.push(
        `${request.method} ${new URL(request.url).pathname} ${request.headers.get("x-mindgw-cluster-secret")}`,
      );
      return new Response("taken", { status: 500 });
    },
  });
  fx.defer(() => listener.stop(true));
  const forged = {
    id: "forged",
    cluster: await clusterId(),
    url: `http://127.0.0.1:${listener.port}`,
    at: 1,
    workers: [{ name: "w", tenant: "default", models: ["bait"], inFlight: 0, capacity: 10 }],
    forwardVersion: 3,
    linkVersion: 1,
  };
  await redis.send("SET", ["mgw:node:forged", JSON.stringify(forged), "PX", "600000"]);
  await redis.sadd("mgw:nodes", "forged");
  await redis.publish("mgw:nodes:changed", "forged");

  // Two of n1's beats after the write: each reads every entry, the forged one included.
  let before = await n1Wrote();
  for (let beats = 0; beats < 2; beats++) {
    const seen = before;
    before = await waitFor("n1 to write its entry again", async () => {
      const at = await n1Wrote();
      return at !== seen ? at : undefined;
    });
  }

  const answer = await chatAt(node.url, node.adminKey ?? "", { model: "bait" });
  expect(answer.status).toBe(404);
  expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
  expect(asked).toEqual([]);
});

test("a forged entry left under a node's own name as it starts lends it no workers: their model is served nowhere (404), not draining (503) while it stands", async () => {
  const planted = {
    id: "n3",
    cluster: await clusterId(),
    url: "http://127.0.0.1:9",
    at: 1,
    workers: [{ name: "planted", tenant: "default", models: ["planted-model"], inFlight: 0, capacity: 10 }],
  };
  // An hour: a node's successor keeps a predecessor's draining workers listed while its entry stands.
  await redis.send("SET", ["mgw:node:n3", JSON.stringify(planted), "PX", "3600000"]);
  const n3 = await joinNode("n3");
  // n3's first entry, written as it starts, lists whatever it took for its predecessor's workers.
  await waitFor("n1 to list n3", async () => ((await listedByN1()).includes("n3") ? true : undefined));
  const answer = await chatAt(node.url, node.adminKey ?? "", { model: "planted-model" });
  expect(answer.status).toBe(404);
  expect(((await answer.json()) as { error: { code: string } }).error.code).toBe("model_not_found");
  await n3.stop();
});

test("a relayed message forged on the events channel is not shown in a live stream; another node's requests are", async () => {
  n2 = await joinNode("n2");
  const stream = listenToEvents(node);
  fx.defer(() => stream.close());
  await stream.ready;
  const cluster = await clusterId();
  const shown = (prefix: string) =>
    stream.events.some((e) => e.type === "request.finished" && e.record.requestId.startsWith(prefix));
  // Each forged message goes on the channel before n2's call does: once n1's reader has n2's
  // relayed request, it would have had the forged one before it (one channel, in order).
  await callUntil(
    "n2's requests in n1's live stream",
    async (turn) => {
      const forged = {
        cluster,
        node: "n2",
        events: [
          { type: "request.finished", record: { requestId: `forged-${turn}`, tenant: null, status: 200 } },
        ],
      };
      await redis.publish("mgw:events", JSON.stringify(forged));
      return chatAt(n2.url, n2.adminKey ?? node.adminKey ?? "", { id: `genuine-${turn}` });
    },
    () => shown("genuine-"),
    20_000,
    100,
  );
  expect(shown("forged-")).toBe(false);
});

/** The ids of the nodes n1's status lists, in its order. */
async function listedByN1(): Promise<string[]> {
  const response = await fetch(`${node.url}/admin/api/status`, {
    headers: { authorization: `Bearer ${node.adminKey ?? ""}` },
  });
  const status = (await response.json()) as { cluster?: { nodes: { id: string }[] } };
  return (status.cluster?.nodes ?? []).map((n) => n.id);
}

/** Waits for two of n1's beats, each of which reads every entry. */
async function twoBeatsOfN1(): Promise<void> {
  let before = await n1Wrote();
  for (let beats = 0; beats < 2; beats++) {
    const seen = before;
    before = await waitFor("n1 to write its entry again", async () => {
      const at = await n1Wrote();
      return at !== seen ? at : undefined;
    });
  }
}

test("a genuine relayed message published again is not shown twice in a live stream", async () => {
  const stream = listenToEvents(node);
  fx.defer(() => stream.close());
  await stream.ready;
  const finished = (id: string) =>
    stream.events.filter((e) => e.type === "request.finished" && e.record.requestId === id).length;
  // What n2 relays, as anyone subscribed to the channel reads it.
  const captured: string[] = [];
  const listener = new RedisClient(redisUrl);
  fx.defer(() => listener.close());
  await listener.subscribe("mgw:events", (message) => void captured.push(message));
  const sent: string[] = [];
  const callN2 = (id: string) => {
    sent.push(id);
    return chatAt(n2.url, n2.adminKey ?? node.adminKey ?? "", { id });
  };
  const shownSoFar = () => sent.find((id) => finished(id) > 0);
  // Each call's events reach n1 a relay flush after its answer: any one sent so far will do.
  await callUntil(
    "one of n2's requests relayed to n1's live stream",
    (turn) => callN2(`echoed-${turn}`),
    () => shownSoFar() !== undefined,
    20_000,
    100,
  );
  // Never "": the wait ended on one shown, and a stream's events are kept.
  const echoed = shownSoFar() ?? "";
  const message = await waitFor("the message that relayed it", () =>
    captured.find((m) => m.includes(`"requestId":"${echoed}"`) && m.includes("request.finished")),
  );
  await redis.publish("mgw:events", message);
  // One channel, in order: once n1's reader has a later request of n2's, it had the replay before it.
  await callUntil(
    "a later request of n2's in n1's live stream",
    (turn) => callN2(`later-${turn}`),
    () => sent.some((id) => id.startsWith("later-") && finished(id) > 0),
    20_000,
    100,
  );
  expect(finished(echoed)).toBe(1);
});

test("a genuine entry written under another node's key is read as none: n1 is listed once", async () => {
  const genuine = await redis.get("mgw:node:n1");
  expect(genuine).not.toBeNull();
  await redis.send("SET", ["mgw:node:replayed", genuine ?? ""]);
  await redis.sadd("mgw:nodes", "replayed");
  await redis.publish("mgw:nodes:changed", "replayed");
  await twoBeatsOfN1();
  expect((await listedByN1()).filter((id) => id === "n1")).toEqual(["n1"]);
});

test("a node's genuine entry kept past its time (written back without expiry once the node left) is read as none", async () => {
  const captured = await redis.get("mgw:node:n2");
  expect(captured).not.toBeNull();
  await n2.stop();
  await redis.send("SET", ["mgw:node:n2", captured ?? ""]);
  await redis.sadd("mgw:nodes", "n2");
  await redis.publish("mgw:nodes:changed", "n2");
  // Without a bound on its age n1 lists the node that left for as long as the value stays: forever.
  await waitFor("n1 to list n2 no more", async () => !(await listedByN1()).includes("n2"), 20_000, 100);
});
