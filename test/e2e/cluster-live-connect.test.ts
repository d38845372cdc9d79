/**
 * A live event stream opened on one node (`mindgw tail`, the web UI's live mode) shows the other
 * nodes' requests from the moment it is open, not from their next heartbeat: the node tells them at
 * once that it now has a reader (its entry's `watching`, published with a notice, as a worker
 * change is), and they start relaying. Before, each started at its own next beat, so on the
 * default 1 s heartbeat up to two heartbeats of their requests never showed, and on a long one for
 * as long as it lasted.
 */
import { beforeAll, expect, test } from "bun:test";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { chatAt } from "./harness/node-load.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let watched: GatewayProcess;
let other: GatewayProcess;

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("live_connect");
  // No heartbeat comes within the test: only a notice tells a node anything after its start.
  const node = (name: string) => fx.startNode({ name, databaseUrl, redisUrl: redis.url, heartbeat: "10m" });
  watched = await node("watched");
  other = await node("other");
}, 90_000);

test("a stream opened on one node shows another node's requests without waiting for that node's heartbeat", async () => {
  const stream = listenToEvents(watched);
  fx.defer(() => stream.close());
  await stream.ready;
  const key = watched.adminKey ?? other.adminKey ?? "";
  let turn = 0;
  const shown = await waitFor(
    "one of the other node's requests in the watched node's stream",
    async () => {
      const id = `relayed-${++turn}`;
      expect((await chatAt(other.url, key, { id })).status).toBe(200);
      return stream.events.find(
        (e) => e.type === "request.finished" && e.record.requestId.startsWith("relayed-"),
      );
    },
    30_000,
    200,
  );
  expect(shown.type === "request.finished" ? shown.record.node : undefined).toBe("other");
});
