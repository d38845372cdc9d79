/**
 * A live event stream opened on one node (`mindgw tail`, the web UI's live mode) shows the other
 * nodes' requests from the moment it is open, not from their next heartbeat: the node tells them at
 * once that it now has a reader (its entry's `watching`, published with a notice, as a worker
 * change is), and they start relaying. Before, each started at its own next beat, so on the
 * default 1 s heartbeat up to two heartbeats of their requests never showed, and on a long one for
 * as long as it lasted. And a reader that reads the log once its stream is open (the web UI's live
 * mode) finds there a request another node finished just before the connect: that node writes its
 * queued rows before the stream opens, however long its `audit.flush_ms`.
 */
import { beforeAll, expect, test } from "bun:test";
import { auditRecords } from "./harness/admin-api.ts";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { callUntil } from "./harness/wait-for-ok.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let watched: GatewayProcess;
let other: GatewayProcess;
/** A node whose rows wait 10 s in its batch: longer than the test would wait for them by chance. */
let slow: GatewayProcess;

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("live_connect");
  // No heartbeat comes within the test: only a notice tells a node anything after its start.
  const node = (name: string) => fx.startNode({ name, databaseUrl, redisUrl: redis.url, heartbeat: "10m" });
  watched = await node("watched");
  other = await node("other");
  slow = await fx.startNode({
    name: "slow",
    databaseUrl,
    redisUrl: redis.url,
    heartbeat: "10m",
    extra: { audit: { flush_ms: "10s" } },
  });
}, 90_000);

test("a stream opened on one node shows another node's requests without waiting for that node's heartbeat", async () => {
  const stream = listenToEvents(watched);
  fx.deferTest(() => stream.close());
  await stream.ready;
  const key = watched.adminKey ?? other.adminKey ?? "";
  const relayed = () =>
    stream.events.find((e) => e.type === "request.finished" && e.record.requestId.startsWith("relayed-"));
  await callUntil(
    "one of the other node's requests in the watched node's stream",
    (turn) => chatAt(other.url, key, { id: `relayed-${turn}` }),
    () => relayed() !== undefined,
    30_000,
    200,
  );
  const shown = relayed();
  expect(shown?.type === "request.finished" ? shown.record.node : undefined).toBe("other");
});

test("a request another node finished just before the connect is in the log once the stream is open, its row written by that node first: the first reader's and a second's", async () => {
  const key = watched.adminKey ?? other.adminKey ?? "";
  const admin = { url: watched.url, adminKey: key };
  /** Finishes a request on the slow node, then opens a stream on the watched one and reads the log. */
  const connectAfter = async (id: string) => {
    expect((await chatAt(slow.url, key, { id })).status).toBe(200);
    const stream = listenToEvents(watched);
    fx.deferTest(() => stream.close());
    await stream.ready;
    expect((await auditRecords(admin, { limit: "50" })).map((row) => row.requestId)).toContain(id);
  };
  // Nobody watches yet: its event goes nowhere, its row waits in the slow node's batch.
  await connectAfter("before-first-reader");
  // A reader watches already: its event may reach the node before the new reader subscribes.
  await connectAfter("before-second-reader");
});
