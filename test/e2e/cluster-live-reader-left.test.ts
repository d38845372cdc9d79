/**
 * A live stream opening on a cluster node asks the others to relay their requests to it from then
 * on, whatever their directory reads say for a while (the asker's entry may be read as it stood
 * before the ask: DEPLOYMENT.md "Live traffic"). Once the reader that asked has left, and its node's
 * entry, written since, says nobody watches there, the others stop relaying at their next read of
 * it: they did for as long as a name lease (three heartbeats: 30 minutes here), publishing every
 * request they took on Redis for nobody.
 */
import { beforeAll, expect, test } from "bun:test";
import { relaySeal } from "../../src/cluster/json-seal.ts";
import { RedisLink } from "../../src/cluster/redis-link.ts";
import { auditRecords } from "./harness/admin-api.ts";
import { CLUSTER_SECRET } from "./harness/cluster-nodes.ts";
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
/** What the `other` node published on `mgw:events`, in order: its answers, and the requests it relayed. */
const fromOther = { answers: 0, relayed: new Set<string>() };

beforeAll(async () => {
  const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
  const databaseUrl = await postgres.createDatabase("live_reader_left");
  // No heartbeat within the test: only notices tell a node of another's entry after its start.
  const node = (name: string) => fx.startNode({ name, databaseUrl, redisUrl: redis.url, heartbeat: "10m" });
  // `other` first: the watched node lists it as it starts, and asks it as each stream opens.
  other = await node("other");
  watched = await node("watched");
  // Any subscriber of the Redis server hears the channel; the test knows the cluster's secret.
  const seal = relaySeal(CLUSTER_SECRET, { now: Date.now, validForMs: 3_600_000, maxAgeMs: 3_600_000 });
  const link = new RedisLink({ url: redis.url, timeoutMs: 5_000, vouch: async () => null });
  fx.defer(() => link.close());
  expect(await link.start()).toBe(true);
  await link.subscribe("mgw:events", (text) => {
    const json = seal.open(text);
    if (json === null) return;
    const sent = JSON.parse(json) as {
      node: string;
      written?: string;
      events: { type: string; record?: { requestId: string } }[];
    };
    if (sent.node !== "other") return;
    for (const event of sent.events) if (event.record) fromOther.relayed.add(event.record.requestId);
    if (sent.written !== undefined) fromOther.answers++;
  });
}, 90_000);

test("once the reader that asked has left, the other node stops relaying at its next read of the asker's entry, not a name lease later", async () => {
  const key = watched.adminKey ?? other.adminKey ?? "";
  // A reader comes and goes: its stream's ask had `other` relay for the hold of its answer.
  const first = listenToEvents(watched, { key });
  fx.deferTest(() => first.close());
  await first.ready;
  first.close();
  let turn = 0;
  // A call answered other than 200 ends the wait, its status asserted once after it.
  const last = await waitFor(
    "a request the other node took after the reader left not relayed",
    async () => {
      const id = `after-left-${++turn}`;
      const { status } = await chatAt(other.url, key, { id });
      if (status !== 200) return { status };
      // Its row written, its event was published on its node's bus too (one step, audit-service.ts).
      await waitFor(
        `${id}'s audit row`,
        async () =>
          (await auditRecords({ url: watched.url, adminKey: key }, { limit: "50" })).some(
            (row) => row.requestId === id,
          ),
        20_000,
      );
      // A stream opening now asks `other` again: whatever it relayed before goes out before its
      // answer (queued, or in the answer itself), so once the answer is heard, it was heard too.
      const answers = fromOther.answers;
      const probe = listenToEvents(watched, { key });
      fx.deferTest(() => probe.close());
      await probe.ready;
      await waitFor("the other node's answer", () => fromOther.answers > answers, 20_000);
      probe.close();
      return !fromOther.relayed.has(id) && { status };
    },
    60_000,
    200,
  );
  expect(last.status).toBe(200);
}, 120_000);
