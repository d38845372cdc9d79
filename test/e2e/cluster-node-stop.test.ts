/**
 * A cluster node stopped gracefully (SIGTERM) while it holds the only worker for a model: two
 * `mindgw serve` nodes on one PostgreSQL and one Redis, at the default heartbeat (1 s), so the
 * other node re-reads the directory several times during the drain, and a worker that dials both.
 */
import { beforeAll, expect, test } from "bun:test";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import {
  createKey,
  type FakeProcess,
  spawnFakeUpstream,
  spawnWorker,
  waitForWorkers,
} from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

let stopping: GatewayProcess;
let calling: GatewayProcess;
let adminKey: string;

const fx = gatewayFixture<FakeProcess>({ fake: () => spawnFakeUpstream(), gateway: false });

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("node_stop");
  const node = (name: string) =>
    fx.startNode({
      name,
      databaseUrl,
      redisUrl: redis.url,
      heartbeat: "1s",
      extra: { server: { drain_timeout: "20s" } },
    });
  stopping = await node("n1");
  adminKey = stopping.adminKey ?? "";
  calling = await node("n2");
}, 90_000);

/** A request's answer is due within this: a hung one fails the test with its reason, never outlives it. */
const answerWithin = () => AbortSignal.timeout(5_000);

/** The nodes in the directory, as `node` last read it (`/admin/api/status`). */
async function clusterNodes(node: GatewayProcess): Promise<{ id: string; state: string }[]> {
  const response = await fetch(`${node.url}/admin/api/status`, {
    headers: { authorization: `Bearer ${adminKey}` },
    signal: answerWithin(),
  });
  const body = (await response.json()) as { cluster?: { nodes: { id: string; state: string }[] } };
  return body.cluster?.nodes ?? [];
}

interface Answer {
  status: number;
  retryAfter: string | null;
  message: string;
  /** Whether n1 had exited when the request was sent. */
  afterExit: boolean;
}

test("SIGTERM of the node holding a model's only worker: every other node refuses the model as draining through the whole drain, never 404, until the worker serves again from another node", async () => {
  const token = await createKey(stopping.url, adminKey, { name: "fleet", role: "worker", models: ["*"] });
  // It dials n1 first, and the next node after a lost connection.
  const worker = spawnWorker({
    gateway: `${stopping.url},${calling.url}`,
    token,
    upstream: `${fx.fake.url}/v1`,
    name: "w1",
    models: ["fake-model"],
  });
  fx.defer(() => worker.stop("SIGKILL"));
  // A worker started, registered on n1 and read by n2 from the directory: under load more than the
  // 10 s of one wait (seen so at a load of 30), so each step has its own bound.
  await waitForWorkers(stopping.url, adminKey, ["w1"]);
  await waitFor(
    "n2 to list n1's worker",
    async () => {
      const response = await chatAt(calling.url, adminKey, { model: "fake-model", signal: answerWithin() });
      await response.arrayBuffer();
      return response.status === 200;
    },
    20_000,
  );

  // A 10 s stream through n2, forwarded to w1 on n1: n1's drain lasts as long. It is the window in
  // which n2 must read n1 as stopping (1 s heartbeats) and refuse the model itself: 3 s left a
  // loaded machine little room. The drain_timeout of 20 s still cuts none of it.
  const held = await chatAt(calling.url, adminKey, {
    model: "fake-model",
    stream: true,
    content: "hold on [[fake:chunks=50,chunk-delay=200]]",
  });
  const reader = held.body!.getReader();
  expect((await reader.read()).done).toBe(false);
  let exited = false;
  const stopped = stopping.stop("SIGTERM", 30_000).then((code) => {
    exited = true;
    return code;
  });

  // n1 is stopping as n2 reads it: listed, no live node (before, 2 nodes, the Redis-down share of
  // every limit halved on n2 for as long as n1's entry stood).
  await waitFor("n2 to list n1 as stopping", async () => {
    const nodes = await clusterNodes(calling);
    return nodes.find((n) => n.id === "n1")?.state === "stopping" ? true : undefined;
  });
  const ready = (await (await fetch(`${calling.url}/readyz`, { signal: answerWithin() })).json()) as {
    cluster?: { nodes: number };
  };
  expect(ready.cluster?.nodes).toBe(1);

  // n2 asked until it serves the model again (w1 closed by n1 once drained, registered with n2).
  const answers: Answer[] = [];
  await waitFor(
    "n2 to serve fake-model again",
    async () => {
      const afterExit = exited;
      const response = await chatAt(calling.url, adminKey, { model: "fake-model", signal: answerWithin() });
      const body = (await response.json()) as { error?: { message: string } };
      answers.push({
        status: response.status,
        retryAfter: response.headers.get("retry-after"),
        message: body.error?.message ?? "",
        afterExit,
      });
      return response.status === 200 && afterExit;
    },
    40_000,
    100,
  );

  // Before: 404 `model_not_found` from n2's first read of the directory after n1 left it, until
  // the drain ended ("the model `fake-model` does not exist").
  expect(answers.filter((a) => a.status !== 503 && a.status !== 200)).toEqual([]);
  const refused = answers.filter((a) => a.status === 503);
  expect(refused.length).toBeGreaterThan(0);
  // n1 refused the first while n2 had yet to read its notice; n2 refuses the rest itself.
  for (const answer of refused) expect(answer.message).toContain("draining");
  expect(refused.at(-1)).toMatchObject({
    message: "every worker serving fake-model is draining (as other nodes last reported)",
    retryAfter: "5",
  });

  let text = "";
  const decoder = new TextDecoder();
  for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read())
    text += decoder.decode(chunk.value, { stream: true });
  expect(text).toContain("data: [DONE]");
  expect(await stopped).toBe(0);
}, 90_000);
