import { afterAll, beforeAll, expect } from "bun:test";
import { type RedisServer, startRedis } from "../../../test/e2e/harness/redis-server.ts";
import type { SharedScope } from "../../auth/shared-counters.ts";
import { createRedisCounters } from "../redis-counters.ts";
import { RedisLink } from "../redis-link.ts";

/**
 * A real Redis for a test file, started before its tests (handed to `started`) and stopped after
 * them with every link in `links` closed; `node(id)` is a cluster node's counters on a pipelined
 * link of its own, as cluster-redis.ts makes them, one of three nodes.
 */
export function redisCounterNodes(started: (redis: RedisServer) => void) {
  let redis: RedisServer | undefined;
  const links: RedisLink[] = [];
  beforeAll(async () => {
    redis = await startRedis();
    started(redis);
  });
  afterAll(async () => {
    for (const link of links) link.close();
    await redis?.stop();
  });
  async function node(id: string) {
    if (!redis) throw new Error("a node is asked for before Redis started");
    // Pipelined, as a cluster node's link is (cluster-redis.ts).
    const link = new RedisLink({ url: redis.url, timeoutMs: 5000 });
    links.push(link);
    expect(await link.start()).toBe(true);
    return createRedisCounters({ link, nodeId: id, nodes: () => 3 });
  }
  return { links, node };
}

/** A subject's scope with no limit but those given, nothing spent on this node. */
export const scope = (subject: string, limits: Partial<SharedScope> = {}): SharedScope => ({
  subject,
  spendSubject: subject,
  rpm: undefined,
  tpm: undefined,
  budgetUsd: undefined,
  spentLocally: 0,
  ...limits,
});
