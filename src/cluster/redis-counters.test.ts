import { afterAll, beforeAll, expect, test } from "bun:test";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import type { SharedScope } from "../auth/shared-counters.ts";
import { createRedisCounters } from "./redis-counters.ts";
import { RedisLink } from "./redis-link.ts";

let redis: RedisServer;
const links: RedisLink[] = [];
beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  for (const link of links) link.close();
  await redis.stop();
});

async function node(id: string) {
  const link = new RedisLink({ url: redis.url, timeoutMs: 5000 });
  links.push(link);
  expect(await link.start()).toBe(true);
  return createRedisCounters({ link, nodeId: id, nodes: () => 3 });
}

const scope = (subject: string, limits: Partial<SharedScope> = {}): SharedScope => ({
  subject,
  spendSubject: subject,
  rpm: undefined,
  tpm: undefined,
  budgetUsd: undefined,
  spentLocally: 0,
  ...limits,
});

test("requests: exactly the limit is admitted over several nodes, whatever the interleaving", async () => {
  const nodes = await Promise.all(["a", "b", "c"].map(node));
  const now = 1_000_000;
  const results = await Promise.all(
    Array.from({ length: 200 }, (_, i) => nodes[i % 3]!.admit([scope("key:rpm", { rpm: 50 })], now + i)),
  );
  expect(results.filter((r) => r.refused === null).length).toBe(50);
  const refused = results.find((r) => r.refused !== null)!;
  expect(refused.refused).toMatchObject({ index: 0, code: "rate_limited" });
  expect(refused.refused!.waitMs).toBeGreaterThan(0);
  expect(refused.usage[0]!.requests).toBe(50);
  // A minute after the oldest admitted request, its slot frees. Which request that is depends on
  // the order the nodes' batches reach Redis, not on its time stamp.
  const oldest = results.findIndex((r) => r.refused === null);
  const later = await nodes[0]!.admit([scope("key:rpm", { rpm: 50 })], now + oldest + 60_001);
  expect(later.refused).toBeNull();
});

test("tokens and budgets: counted on record, refused at the limit, key before tenant", async () => {
  const [a, b] = await Promise.all(["a", "b"].map(node));
  const now = 5_000_000;
  const scopes = [
    scope("key:t", { tpm: 100 }),
    scope("tenant:t", { tpm: 1000, budgetUsd: 1, spentLocally: 0.5 }),
  ];
  expect((await a!.admit(scopes, now)).refused).toBeNull();
  b!.record([{ subject: "key:t", tokens: 100 }], [{ subject: "tenant:t", usd: 0.25 }], now);
  // record is fire-and-forget (batched for a few ms): wait for it through an admission's view.
  const verdict = await waitFor("the recorded tokens to bind", async () => {
    const next = await a!.admit(scopes, now + 10);
    return next.refused === null ? undefined : next;
  });
  expect(verdict.refused).toMatchObject({ index: 0, code: "rate_limited" });
  expect(verdict.usage[0]!.tokens).toBe(100);
  b!.record([], [{ subject: "tenant:t", usd: 0.3 }], now);
  const budget = async () =>
    (await a!.admit([scope("tenant:t", { budgetUsd: 1, spentLocally: 0 })], now + 20)).refused;
  const refused = await waitFor("the recorded spend to bind", async () => (await budget()) ?? undefined);
  // Seeded with 0.5 from storage, then 0.25 and 0.3 recorded: 1.05 ≥ 1.
  expect(refused).toMatchObject({ code: "budget_exceeded" });
});
