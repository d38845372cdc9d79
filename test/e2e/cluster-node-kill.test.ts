/**
 * `kill -9` of the node a client is streaming from (an OOM kill, a crash), with another node
 * watching the live traffic: what the caller, the audit log and the other node see (DEPLOYMENT.md
 * "Several nodes", RELIABILITY.md "Process killed"). The caller's stream ends without `[DONE]`,
 * never hangs; the request leaves no audit row (it had not finished: rows are written as requests
 * end); the other node's stream saw it start (on the dead node) and never finish; the other node
 * drops the dead one from its directory within three heartbeats, says so on its stream (`node.left`),
 * and serves on; a `mindgw tail` on the other node ends the request's row as lost with its node.
 */
import { beforeAll, expect, test } from "bun:test";
import { auditRecords } from "./harness/admin-api.ts";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { spawnTerminalTail } from "./harness/pty-tail.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { type FakeProcess, spawnFakeUpstream } from "./harness/spawn-worker.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture<FakeProcess>({ fake: () => spawnFakeUpstream(), gateway: false });
let killed: GatewayProcess;
let survivor: GatewayProcess;

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("node_kill");
  // The fake upstream streams slowly on cue: the stream is still open when its node dies.
  const extra = {
    providers: [
      { name: "mock", type: "mock" },
      { name: "fake", type: "openai", base_url: `${fx.fake.url}/v1` },
    ],
    models: [
      { name: "mock", routes: [{ provider: "mock", model: "mock" }] },
      { name: "fake-model", routes: [{ provider: "fake", model: "fake-model" }] },
    ],
  };
  killed = await fx.startNode({ name: "killed", databaseUrl, redisUrl: redis.url, extra });
  survivor = await fx.startNode({ name: "survivor", databaseUrl, redisUrl: redis.url, extra });
}, 90_000);

const nodesOf = async (node: GatewayProcess, adminKey: string) =>
  (
    (await (
      await fetch(`${node.url}/admin/api/status`, { headers: { authorization: `Bearer ${adminKey}` } })
    ).json()) as { cluster?: { nodes: { id: string }[] } }
  ).cluster?.nodes.map((n) => n.id) ?? [];

test("kill -9 of the node a client streams from: the stream ends without [DONE], no audit row, the other node's live stream saw it start only, and the other node serves on", async () => {
  const adminKey = killed.adminKey ?? survivor.adminKey ?? "";
  await waitFor("both nodes listed", async () => (await nodesOf(survivor, adminKey)).length === 2, 20_000);
  const watching = listenToEvents(survivor, { key: adminKey });
  fx.defer(() => watching.close());
  await watching.ready;
  const tail = await spawnTerminalTail(["--gateway", survivor.url], adminKey);
  fx.defer(() => tail.stop());
  const response = await chatAt(killed.url, adminKey, {
    id: "killed-mid-stream",
    model: "fake-model",
    stream: true,
    content: "long [[fake:chunkDelay=200,chunks=100]]",
  });
  expect(response.status).toBe(200);
  const reader = response.body!.getReader();
  expect((await reader.read()).done).toBe(false);
  await waitFor("the other node's stream to show the request started", () =>
    watching.events.some((e) => e.type === "request.started" && e.requestId === "killed-mid-stream"),
  );
  // It names the node that took it, and its process: what a reader ends the row by once that
  // process is gone (a node started again under the name serves on as another).
  const started = watching.events.find(
    (e) => e.type === "request.started" && e.requestId === "killed-mid-stream",
  );
  expect(started).toMatchObject({ node: "killed", instance: expect.any(String) });
  const instance = started?.type === "request.started" ? started.instance : undefined;
  await waitFor(
    "the tail on the other node to show it in flight",
    () => tail.screen().includes("fake-model"),
    20_000,
  );
  await killed.stop("SIGKILL");
  // The caller's read ends (an error, or an end without [DONE]): the socket closed with the process.
  let text = "";
  const decoder = new TextDecoder();
  const ended = await (async () => {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return "ended";
      text += decoder.decode(value, { stream: true });
    }
  })().catch(() => "failed");
  expect(["ended", "failed"]).toContain(ended);
  expect(text).not.toContain("[DONE]");
  // Gone from the other node's directory within three heartbeats (its entry expires).
  await waitFor(
    "the killed node out of the survivor's directory",
    async () => {
      const ids = await nodesOf(survivor, adminKey);
      return ids.length === 1 && ids[0] === "survivor";
    },
    20_000,
  );
  // Its stream says so, and the tail there ends the row: no finish will ever come for it.
  await waitFor("the survivor's stream to say the killed node left", () =>
    watching.events.some((e) => e.type === "node.left" && e.node === "killed"),
  );
  // The process its directory entry named, the one that took the request.
  expect(watching.events.find((e) => e.type === "node.left")).toMatchObject({
    node: "killed",
    instance,
  });
  await waitFor(
    "the tail's row of it to read as lost with its node",
    () => tail.screen().includes("node lost"),
    20_000,
  );
  expect((await chatAt(survivor.url, adminKey)).status).toBe(200);
  // The dead node can write nothing more: what the store has now is all it will have.
  const rows = await auditRecords({ url: survivor.url, adminKey }, { model: "fake-model" });
  expect(rows.map((row) => row.requestId)).not.toContain("killed-mid-stream");
  expect(
    watching.events.some((e) => e.type === "request.finished" && e.record.requestId === "killed-mid-stream"),
  ).toBe(false);
}, 120_000);
