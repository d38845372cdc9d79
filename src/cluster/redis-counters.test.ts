import { expect, test } from "bun:test";
import { RedisClient } from "bun";
import type { RedisServer } from "../../test/e2e/harness/redis-server.ts";
import { type Principal, principalFromKey } from "../auth/principal.ts";
import { RateLimiter } from "../auth/rate-limiter.ts";
import { manualClock } from "../auth/test-support.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { keyRecord } from "../testing/key-record.ts";
import { redisCounterNodes, scope } from "./testing/redis-counter-nodes.ts";

// Shared counters in a real Redis across nodes: limits, resets and budgets (records and their
// batches: redis-counters-batches.test.ts; over random traffic: redis-counters-model.test.ts).

let redis: RedisServer;
const { node } = redisCounterNodes((server) => {
  redis = server;
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
  // Sent by b at its turn's end; once Redis answered it (as b's answer waits for), a counts it.
  await b!.record([{ subject: "key:t", tokens: 100 }], [{ subject: "tenant:t", usd: 0.25 }], now);
  const verdict = await a!.admit(scopes, now + 10);
  expect(verdict.refused).toMatchObject({ index: 0, code: "rate_limited" });
  expect(verdict.usage[0]!.tokens).toBe(100);
  await b!.record([], [{ subject: "tenant:t", usd: 0.3 }], now);
  const budget = await a!.admit([scope("tenant:t", { budgetUsd: 1, spentLocally: 0 })], now + 20);
  // Seeded with 0.5 from storage, then 0.25 and 0.3 recorded: 1.05 ≥ 1.
  expect(budget.refused).toMatchObject({ code: "budget_exceeded" });
});

test("more than one limit spent: the refusal is the one that frees up last, where a retry passes (its Retry-After)", async () => {
  const [a] = await Promise.all(["a"].map(node));
  const now = 7_000_000;
  const scopes = [scope("key:last", { tpm: 10 }), scope("tenant:last", { tpm: 100, rpm: 3 })];
  expect((await a!.admit(scopes, now)).refused).toBeNull();
  await a!.record(
    [
      { subject: "key:last", tokens: 10 },
      { subject: "tenant:last", tokens: 10 },
    ],
    [],
    now,
  );
  // Another key of the tenant spends its tokens half a minute later.
  await a!.record([{ subject: "tenant:last", tokens: 100 }], [], now + 30_000);
  const verdict = await a!.admit(scopes, now + 31_000);
  expect(verdict.refused).toMatchObject({ index: 1, code: "rate_limited", limit: "tokens" });
  const waitMs = verdict.refused?.waitMs ?? 0;
  expect((await a!.admit(scopes, now + 31_000 + waitMs)).refused).toBeNull();
});

test("an admitted request's requests reset is when the limit is whole again: a minute after it, the newest", async () => {
  const [a] = await Promise.all(["a"].map(node));
  const now = 9_000_000;
  const scopes = [scope("key:whole", { rpm: 5 })];
  expect((await a!.admit(scopes, now)).usage[0]!.requestsResetMs).toBe(60_000);
  const second = await a!.admit(scopes, now + 10_000);
  expect(second.refused).toBeNull();
  // Not 50 s, when the first frees a slot: the second still counts for a minute after it.
  expect(second.usage[0]!.requestsResetMs).toBe(60_000);
});

test("an rpm lowered below the requests in its window: the refusal's wait is until fewer than the new limit are left", async () => {
  const [a] = await Promise.all(["a"].map(node));
  const now = 11_000_000;
  for (const at of [0, 10_000, 20_000])
    expect((await a!.admit([scope("key:lowered", { rpm: 3 })], now + at)).refused).toBeNull();
  // A reload or `mindgw keys update` lowers it to 1: the newest request holds the only slot.
  const lowered = [scope("key:lowered", { rpm: 1 })];
  const verdict = await a!.admit(lowered, now + 30_000);
  expect(verdict.refused).toMatchObject({ limit: "requests", waitMs: 50_000 });
  expect((await a!.admit(lowered, now + 30_000 + 50_000)).refused).toBeNull();
});

test("a spend counter Redis holds below the node's stored total is held to the larger (a rotation chain's spend an upgrade folded), and left as it is: a record still on its way from another node is counted once", async () => {
  const recorder = await node("recorder");
  const admitter = await node("admitter");
  const now = 6_000_000;
  const reader = new RedisClient(redis.url);
  const counter = async (subject: string) => Number(await reader.get(`mgw:spend:${subject}`));
  try {
    // The chain's first key's own total, counted in Redis before the upgrade.
    await reader.set("mgw:spend:key:chain-first", "0.4");
    const chain = (spentLocally: number) => [scope("key:chain-first", { budgetUsd: 1, spentLocally })];
    // The store now holds the chain's (its newest key's larger total): that is what is spent.
    expect((await recorder.admit(chain(1.2), now)).refused).toMatchObject({ code: "budget_exceeded" });
    expect(await counter("key:chain-first")).toBe(0.4);

    await reader.set("mgw:spend:key:late", "0.4");
    const late = (spentLocally: number) => [scope("key:late", { budgetUsd: 1, spentLocally })];
    // The admitting node has read 0.3 from the store that the recording node flushed there before
    // its record reached Redis: admitted against the larger, the counter left alone.
    expect((await admitter.admit(late(0.7), now)).refused).toBeNull();
    expect(await counter("key:late")).toBe(0.4);
    await recorder.record([], [{ subject: "key:late", usd: 0.3 }], now);
    expect(await counter("key:late")).toBeCloseTo(0.7, 12);
    expect((await admitter.admit(late(0.7), now)).refused).toBeNull();

    // Redis ahead of a node whose flush lags (others' spend not yet stored): Redis's stands.
    await reader.set("mgw:spend:key:ahead", "1.5");
    expect(
      (await recorder.admit([scope("key:ahead", { budgetUsd: 1, spentLocally: 0.2 })], now)).refused,
    ).toMatchObject({
      code: "budget_exceeded",
    });
    expect(await counter("key:ahead")).toBe(1.5);
  } finally {
    reader.close();
  }
});

test("a rotation's old key on one node and its new key on another spend one budget in Redis: their chain's", async () => {
  // $1 a token in.
  const pricing = new PriceBook({
    prices: { m: { input_per_mtok: 1e6, output_per_mtok: 0 } },
    providers: [],
    models: [],
  });
  const clock = manualClock(9_000_000);
  const [onA, onB] = (await Promise.all(["chain-a", "chain-b"].map(node))).map(
    (shared) => new RateLimiter({ shared, pricing, now: clock.now }),
  );
  const first = keyRecord({ id: "key_chain1", budgetUsd: 3 });
  const old = principalFromKey(first);
  const rotated = principalFromKey({
    ...first,
    id: "key_chain2",
    hash: "2".padStart(64, "0"),
    chain: "key_chain1",
  });
  const spend = async (limiter: RateLimiter, who: Principal, tokens: number) => {
    await limiter.admit(who, "m");
    const charge = limiter.record(who, "m", { inputTokens: tokens, outputTokens: 0 });
    if (typeof charge !== "number") await charge.counted;
  };
  await spend(onA!, old, 2);
  await spend(onB!, rotated, 1);
  for (const [limiter, who] of [
    [onA!, rotated],
    [onB!, old],
  ] as const)
    expect(await Promise.resolve(limiter.admit(who, "m")).catch((e: unknown) => e)).toMatchObject({
      code: "budget_exceeded",
    });
});

test("a node's record counts in the next admission it sends, even one asked for in the same turn", async () => {
  const counters = await node("own");
  const now = 7_000_000;
  const tokens = [scope("key:own-tokens", { tpm: 100 })];
  const budget = [scope("key:own-budget", { budgetUsd: 1 })];
  // The first admissions seed the spend counter (at 0) and count nothing yet.
  expect((await counters.admit(tokens, now)).refused).toBeNull();
  expect((await counters.admit(budget, now)).refused).toBeNull();
  counters.record([{ subject: "key:own-tokens", tokens: 100 }], [{ subject: "key:own-budget", usd: 1 }], now);
  const [afterTokens, afterSpend] = await Promise.all([
    counters.admit(tokens, now + 1),
    counters.admit(budget, now + 1),
  ]);
  expect(afterTokens.refused).toMatchObject({ index: 0, code: "rate_limited" });
  expect(afterTokens.usage[0]!.tokens).toBe(100);
  expect(afterSpend.refused).toMatchObject({ index: 0, code: "budget_exceeded" });
});

test("one batch may carry a scope under two sets of limits (a reload): each request is held to its own", async () => {
  const counters = await node("reload");
  const before = scope("key:reloaded", { rpm: 2 });
  const after = scope("key:reloaded", { rpm: 4 });
  const results = await Promise.all(
    [before, before, before, after, after, after].map((s, i) => counters.admit([s], 3_000 + i)),
  );
  // Two admitted under rpm 2, the third refused; then rpm 4 admits two more, refuses the sixth.
  expect(results.map((r) => r.refused?.code ?? "ok")).toEqual([
    "ok",
    "ok",
    "rate_limited",
    "ok",
    "ok",
    "rate_limited",
  ]);
  expect(results.map((r) => r.usage[0]!.requests)).toEqual([1, 2, 2, 3, 4, 4]);
});

test("a budget spent to the cent is spent in Redis too, whatever floating point's sum of its answers says: the node's stored total of ten $0.10 on a $1 budget", async () => {
  const [a] = await Promise.all(["a"].map(node));
  let stored = 0;
  for (let i = 0; i < 10; i++) stored += 0.1;
  expect(stored).toBeLessThan(1); // 0.9999999999999999, as the storage's sum of the answers' costs
  const verdict = await a!.admit([scope("key:cents", { budgetUsd: 1, spentLocally: stored })], 9_000_000);
  expect(verdict.refused).toMatchObject({ code: "budget_exceeded" });
});
