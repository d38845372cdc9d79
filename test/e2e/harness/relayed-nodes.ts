import { beforeAll } from "bun:test";
import type { GatewayFixtureHandle } from "./gateway-fixture.ts";
import { startPostgres } from "./postgres-server.ts";
import { startRedis } from "./redis-server.ts";
import type { GatewayProcess } from "./spawn-gateway.ts";

/**
 * Two `mindgw serve` nodes on one PostgreSQL and one Redis, for the tests of a worker on n1 that is
 * called through n2 (cluster-worker-*.test.ts), and a third, n3, when asked (`beside`). Started in
 * the file's `beforeAll` under `fx`, so they stop with it. The heartbeat is longer than a file
 * runs: what n2 learns of n1's workers, it learns from the notice n1 sends as they connect and
 * leave.
 */
export function relayedNodes<F>(
  fx: GatewayFixtureHandle<F>,
  options: {
    database: string;
    routing: Record<string, unknown>;
    /** `workers:` of both nodes (a `max_message` that sends large calls over HTTP, not the link). */
    workers?: Record<string, unknown>;
    /** Start n3 too: a node whose workers serve beside n1's, tried next by n2. */
    beside?: boolean;
  },
) {
  const nodes = {
    /** n1: the node the workers connect to. */
    holding: undefined as unknown as GatewayProcess,
    /** n2: the node every call goes through. */
    calling: undefined as unknown as GatewayProcess,
    /** n3, started only when asked (`beside`). */
    beside: undefined as unknown as GatewayProcess,
    adminKey: "",
    /** How many workers n2 last read n1 holding (`/admin/api/status`). */
    listedOnN1: (): Promise<number | undefined> => nodes.listedOn("n1"),
    /** How many workers n2 last read node `id` holding (`/admin/api/status`). */
    async listedOn(id: string): Promise<number | undefined> {
      const response = await fetch(`${nodes.calling.url}/admin/api/status`, {
        headers: { authorization: `Bearer ${nodes.adminKey}` },
      });
      const status = (await response.json()) as { cluster?: { nodes: { id: string; workers: number }[] } };
      return status.cluster?.nodes.find((n) => n.id === id)?.workers;
    },
  };
  beforeAll(async () => {
    const [postgres, redis] = await Promise.all([startPostgres().then(fx.own), startRedis().then(fx.own)]);
    const databaseUrl = await postgres.createDatabase(options.database);
    const node = (name: string) =>
      fx.startNode({
        name,
        databaseUrl,
        redisUrl: redis.url,
        heartbeat: "10m",
        extra: { routing: options.routing, ...(options.workers ? { workers: options.workers } : {}) },
      });
    nodes.holding = await node("n1");
    nodes.adminKey = nodes.holding.adminKey ?? "";
    nodes.calling = await node("n2");
    if (options.beside) nodes.beside = await node("n3");
  }, 90_000);
  return nodes;
}
