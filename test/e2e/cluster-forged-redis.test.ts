/**
 * What someone who can write to the cluster's Redis, but holds no `cluster.secret`, writes there
 * (the cluster's id to stamp it with is there to read, under `mgw:cluster`) is not taken for a
 * node's. A node entry naming a URL of its own and a worker for a model: taken for a peer, a call
 * for the model was forwarded there, the prompt with it, and every request to it carried
 * `cluster.secret` in plain text (the peer link's upgrade, the forward, its cancel), the secret
 * that opens every node's forward endpoint and seals the single sign-on cookie. A relayed message
 * of made-up requests: shown in every admin's live stream (`mindgw tail`, the web UI) as traffic.
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

const fx = gatewayFixture({ gateway: false, fake: null });
let node: GatewayProcess;
let redis: RedisClient;
let joinNode: (name: string) => Promise<GatewayProcess>;

beforeAll(async () => {
  const [postgres, server] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("forged_redis");
  joinNode = (name) => fx.startNode({ name, databaseUrl, redisUrl: server.url });
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

test("a relayed message forged on the events channel is not shown in a live stream; another node's requests are", async () => {
  const n2 = await joinNode("n2");
  const stream = listenToEvents(node);
  fx.defer(() => stream.close());
  await stream.ready;
  const cluster = await clusterId();
  const shown = (prefix: string) =>
    stream.events.some((e) => e.type === "request.finished" && e.record.requestId.startsWith(prefix));
  // Each forged message goes on the channel before n2's call does: once n1's reader has n2's
  // relayed request, it would have had the forged one before it (one channel, in order).
  let turn = 0;
  await waitFor(
    "n2's requests in n1's live stream",
    async () => {
      turn++;
      const forged = {
        cluster,
        node: "n2",
        events: [
          { type: "request.finished", record: { requestId: `forged-${turn}`, tenant: null, status: 200 } },
        ],
      };
      await redis.publish("mgw:events", JSON.stringify(forged));
      expect(
        (await chatAt(n2.url, n2.adminKey ?? node.adminKey ?? "", { id: `genuine-${turn}` })).status,
      ).toBe(200);
      return shown("genuine-");
    },
    20_000,
    100,
  );
  expect(shown("forged-")).toBe(false);
});
