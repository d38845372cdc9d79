/**
 * A node entry written into the cluster's Redis by someone who holds no `cluster.secret` (anyone
 * who can write to that Redis: the cluster's id it would stamp is there to read, under
 * `mgw:cluster`), naming a URL of its own and a worker for a model: no node takes it for a peer.
 * Taken for one, a call for the model was forwarded there, the prompt with it, and every request
 * to it carried `cluster.secret` in plain text (the peer link's upgrade, the forward, its cancel):
 * the secret that opens every node's forward endpoint and seals the single sign-on cookie.
 */
import { beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let node: GatewayProcess;
let redis: RedisClient;

beforeAll(async () => {
  const [postgres, server] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  node = await fx.startNode({
    name: "n1",
    databaseUrl: await postgres.createDatabase("forged_entry"),
    redisUrl: server.url,
  });
  redis = new RedisClient(server.url);
  fx.defer(() => redis.close());
}, 90_000);

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
  const claim = JSON.parse((await redis.get("mgw:cluster")) ?? "{}") as { cluster: string };
  const forged = {
    id: "forged",
    cluster: claim.cluster,
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
