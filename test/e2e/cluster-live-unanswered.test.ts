/**
 * A live event stream opening on a cluster node asks every other listed node that answers asks to
 * write its queued rows first (DEPLOYMENT.md "Live traffic"). A node killed but still listed (its
 * entry stands for three heartbeats) never answers: the connect must not wait for it until
 * `cluster.redis_timeout` — a node that does not even hear the ask within a moment is skipped for
 * it, and the stream says so (`node.unanswered`), as it says `node.left` once the node is gone.
 */
import { beforeAll, expect, test } from "bun:test";
import { listenToEvents } from "./harness/event-stream.ts";
import { gatewayFixture } from "./harness/gateway-fixture.ts";
import { startPostgres } from "./harness/postgres-server.ts";
import { startRedis } from "./harness/redis-server.ts";
import type { GatewayProcess } from "./harness/spawn-gateway.ts";
import { waitFor } from "./harness/wait-for.ts";

const fx = gatewayFixture({ gateway: false, fake: null });
let watched: GatewayProcess;
let doomed: GatewayProcess;

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("live_unanswered");
  // A killed node stays listed for three heartbeats (30 minutes here), and an ask's deadline
  // (redis_timeout, 40 s) is past the test's wait for the stream (30 s): waiting for the killed
  // node, the stream would not open within it. A node is given a quarter of it, 10 s, to say it
  // heard the ask.
  const node = (name: string) =>
    fx.startNode({ name, databaseUrl, redisUrl: redis.url, heartbeat: "10m", redisTimeout: "40s" });
  // The doomed node first: the watched one reads it in the directory as it starts (no heartbeat
  // comes within the test).
  doomed = await node("doomed");
  watched = await node("watched");
}, 90_000);

test("a stream opened while a killed node is still listed opens without waiting for it, and names it unanswered", async () => {
  const key = watched.adminKey ?? doomed.adminKey ?? "";
  // The stream's node must list the doomed one (its entry, published as it started) before the kill.
  await waitFor(
    "the watched node listing the doomed one",
    async () => {
      const response = await fetch(`${watched.url}/admin/api/status`, {
        headers: { authorization: `Bearer ${key}` },
      });
      const status = (await response.json()) as { cluster?: { nodes: { id: string }[] } };
      return status.cluster?.nodes.some((n) => n.id === "doomed") === true;
    },
    30_000,
  );
  await doomed.stop("SIGKILL");
  const stream = listenToEvents(watched, { key });
  fx.deferTest(() => stream.close());
  await waitFor("the stream open", () => stream.ready.then(() => true), 30_000);
  await waitFor("the stream to say the doomed node did not answer", () =>
    stream.events.some((e) => e.type === "node.unanswered" && e.node === "doomed"),
  );
  // Said first, as the stream opened: before any event of the gateway's.
  expect(stream.events[0]).toMatchObject({ type: "node.unanswered", node: "doomed" });
}, 120_000);
