import { afterAll, beforeAll, expect, test } from "bun:test";
import { RedisClient } from "bun";
import { startHoldingProxy } from "../../test/e2e/harness/holding-proxy.ts";
import { type RedisServer, startRedis } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import { type Principal, principalFromKey } from "../auth/principal.ts";
import { RateLimiter } from "../auth/rate-limiter.ts";
import type { SharedScope } from "../auth/shared-counters.ts";
import { manualClock } from "../auth/test-support.ts";
import type { GatewayLimit } from "../core/gateway-error.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { keyRecord } from "../testing/key-record.ts";
import { ADMIT_SCRIPT, RECORD_SCRIPT } from "./admit-script.ts";
import { createRedisCounters, tokensKey } from "./redis-counters.ts";
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
  // Pipelined, as a cluster node's link is (start-cluster.ts).
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

test("a record's call, as `record` hands it out to each answer of the turn, settles once Redis has run it", async () => {
  const counters = await node("acknowledged");
  // Two answers of one turn: both wait for the one call carrying them.
  const call = counters.record([{ subject: "key:acknowledged", tokens: 5 }], [], 8_000_000);
  expect(call).toBeDefined();
  expect(counters.record([], [{ subject: "key:acknowledged-spend", usd: 0.5 }], 8_000_000)).toBe(call);
  await call;
  // Read by another client once the call settled (as the other node a client asks next): Redis
  // has run the record, the script's first call included (a Redis that lacks it is sent it then).
  const seen = Bun.spawnSync(
    ["redis-cli", "-p", String(redis.port), "HGET", tokensKey("key:acknowledged"), "8000"],
    { timeout: 5000 },
  );
  expect(seen.stdout.toString().trim()).toBe("5");
});

test("a record that adds nothing shared (no tpm, cost 0) hands out no call, whatever other records are pending or with Redis", async () => {
  const counters = await node("nothing-shared");
  const control = new RedisClient(redis.url);
  // The script loaded first.
  await counters.record([{ subject: "key:nothing-shared-warm", tokens: 1 }], [], 8_400_000);
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  let pending: Promise<void> | undefined;
  try {
    // One answer's record sent and with Redis.
    const sent = counters.record([{ subject: "key:nothing-shared", tokens: 5 }], [], 8_400_000);
    await new Promise((resolve) => setImmediate(resolve));
    // A failed request's charge (a client that left mid-prompt), pending in this turn, which no
    // answer waits for; then, in the same turn, a self-hosted model's answer for a key without tpm:
    // it waits for nothing, where it was handed the failed request's call.
    pending = counters.record([{ subject: "key:nothing-shared", tokens: 5 }], [], 8_400_000);
    expect(counters.record([], [], 8_400_000)).toBeUndefined();
    expect(sent).toBeDefined();
    expect(pending).toBeDefined();
    expect(pending).not.toBe(sent);
  } finally {
    await control.send("CLIENT", ["UNPAUSE"]);
  }
  await pending;
  expect(await control.hget(tokensKey("key:nothing-shared"), "8400")).toBe("10");
  control.close();
});

test("a record's call that outlasts the Redis timeout settles all the same, its failure told", async () => {
  const link = new RedisLink({ url: redis.url, timeoutMs: 300 });
  links.push(link);
  expect(await link.start()).toBe(true);
  const errors: unknown[] = [];
  const counters = createRedisCounters({
    link,
    nodeId: "record-timeout",
    nodes: () => 1,
    onError: (error) => errors.push(error),
  });
  const control = new RedisClient(redis.url);
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  try {
    await counters.record([{ subject: "key:record-timeout", tokens: 5 }], [], 8_500_000);
    expect(errors.map(String)).toEqual(["Error: redis call took over 300 ms"]);
  } finally {
    await control.send("CLIENT", ["UNPAUSE"]);
    control.close();
  }
  await waitFor("the link to reconnect", () => link.healthy());
});

test("the records of one turn go as one call, sent at the turn's end, none of them on the answers' own path", async () => {
  // A link that writes each call at once: a call made during the turn would be in Redis before
  // it ends (a pipelining link holds every write to the turn's end, so it would show nothing).
  const link = new RedisLink({ url: redis.url, timeoutMs: 5000, writeAtOnce: true });
  links.push(link);
  expect(await link.start()).toBe(true);
  const counters = createRedisCounters({ link, nodeId: "one-turn", nodes: () => 3 });
  const control = new RedisClient(redis.url);
  // The script loaded first, and its call answered.
  await counters.record([{ subject: "key:turn-warm", tokens: 1 }], [], 9_000_000);
  await control.send("CONFIG", ["RESETSTAT"]);
  for (let answer = 0; answer < 3; answer++)
    counters.record([{ subject: "key:one-turn", tokens: 5 }], [], 9_000_000);
  const call = counters.record([], [{ subject: "key:one-turn-spend", usd: 0.5 }], 9_000_000);
  // Read by another client while this process is still in the turn: nothing sent yet.
  const during = Bun.spawnSync(
    ["redis-cli", "-p", String(redis.port), "HGET", tokensKey("key:one-turn"), "9000"],
    { timeout: 5000 },
  );
  expect(during.stdout.toString().trim()).toBe("");
  await call;
  expect(await control.hget(tokensKey("key:one-turn"), "9000")).toBe("15");
  const stats = String(await control.send("INFO", ["commandstats"]));
  expect(stats).toMatch(/cmdstat_evalsha:calls=1,/);
  control.close();
});

test("records made while a batch is with Redis go at once, each turn's as one call, and count in the next batch", async () => {
  const counters = await node("pipelined");
  const control = new RedisClient(redis.url);
  const limited = [scope("key:pipelined", { tpm: 1_000_000 })];
  // Both scripts loaded: a record, then an admission (the record goes ahead of it).
  counters.record([{ subject: "key:warm3", tokens: 1 }], [], 1_000);
  await counters.admit([scope("key:warm3", { tpm: 1000 })], 1_000);
  await control.send("CONFIG", ["RESETSTAT"]);
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  const admissions = [counters.admit(limited, 2_000)];
  const calls: (Promise<void> | undefined)[] = [];
  for (let turn = 0; turn < 4; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    counters.record([{ subject: "key:pipelined", tokens: 5 }], [], 2_000);
    calls.push(counters.record([{ subject: "key:pipelined", tokens: 5 }], [], 2_000));
    admissions.push(counters.admit(limited, 2_001 + turn));
  }
  await control.send("CLIENT", ["UNPAUSE"]);
  const results = await Promise.all(admissions);
  await Promise.all(calls);
  // Every admission of the second batch counts the four turns' records, sent before it.
  expect(results.map((r) => r.usage[0]!.tokens)).toEqual([0, 40, 40, 40, 40]);
  const stats = String(await control.send("INFO", ["commandstats"]));
  // The first batch, a record call a turn (not held back until that batch answered), the second
  // batch: six script calls.
  expect(stats).toMatch(/cmdstat_evalsha:calls=6,/);
  control.close();
});

test("a record made while a batch is with Redis is written right behind it, not once it is answered", async () => {
  const proxy = await startHoldingProxy({ hostname: "127.0.0.1", port: redis.port });
  const link = new RedisLink({ url: `redis://127.0.0.1:${proxy.port}`, timeoutMs: 5000 });
  links.push(link);
  try {
    expect(await link.start()).toBe(true);
    const counters = createRedisCounters({ link, nodeId: "behind", nodes: () => 1 });
    const sha = (script: string) => new Bun.CryptoHasher("sha1").update(script).digest("hex");
    // Held on its way to Redis: the batch stays in flight, unanswered.
    proxy.hold();
    const admitted = counters.admit([scope("key:behind", { tpm: 1000 })], 3_000);
    await waitFor("the batch, held", () => proxy.held().includes(sha(ADMIT_SCRIPT)));
    const recorded = counters.record([{ subject: "key:behind", tokens: 7 }], [], 3_000);
    await waitFor("the record, written behind it", () => proxy.held().includes(sha(RECORD_SCRIPT)));
    proxy.release();
    await Promise.all([admitted, recorded]);
    expect((await counters.admit([scope("key:behind", { tpm: 1000 })], 3_001)).usage[0]!.tokens).toBe(7);
  } finally {
    proxy.stop();
  }
});

test("admissions that arrive while a batch is with Redis wait and go as one batch, in order", async () => {
  const counters = await node("inflight");
  const control = new RedisClient(redis.url);
  const limited = [scope("key:inflight", { rpm: 1000 })];
  await counters.admit([scope("key:warm", { rpm: 1000 })], 1_000); // the script is loaded
  await control.send("CONFIG", ["RESETSTAT"]);
  // Redis holds scripts that write until unpaused: the first batch stays in flight.
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  const admissions = [counters.admit(limited, 2_000)];
  for (let turn = 0; turn < 4; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 10; i++) admissions.push(counters.admit(limited, 2_001 + turn));
  }
  await control.send("CLIENT", ["UNPAUSE"]);
  const results = await Promise.all(admissions);
  expect(results.map((r) => r.usage[0]!.requests)).toEqual(results.map((_, i) => i + 1));
  const stats = String(await control.send("INFO", ["commandstats"]));
  // The first request's batch, then the forty that came in four later turns: two runs.
  expect(stats).toMatch(/cmdstat_evalsha:calls=2,/);
  control.close();
});

test("when the batch in flight fails (Redis too slow), those waiting behind it fail with it, unsent", async () => {
  const link = new RedisLink({ url: redis.url, timeoutMs: 300 });
  links.push(link);
  expect(await link.start()).toBe(true);
  const counters = createRedisCounters({ link, nodeId: "stalled", nodes: () => 1 });
  const control = new RedisClient(redis.url);
  const limited = [scope("key:stalled", { rpm: 1000 })];
  await counters.admit([scope("key:warm2", { rpm: 1000 })], 1_000); // the script is loaded
  await control.send("CONFIG", ["RESETSTAT"]);
  await control.send("CLIENT", ["PAUSE", "10000", "WRITE"]);
  const admissions = [counters.admit(limited, 2_000)];
  for (let turn = 0; turn < 3; turn++) {
    await new Promise((resolve) => setImmediate(resolve));
    for (let i = 0; i < 5; i++) admissions.push(counters.admit(limited, 2_001 + turn));
  }
  const settled = await Promise.allSettled(admissions);
  // Every one failed (the rate limiter then admits it on local counters), with the batch's error.
  expect(settled.map((r) => r.status)).toEqual(admissions.map(() => "rejected"));
  expect(new Set(settled.map((r) => (r.status === "rejected" ? String(r.reason) : "")))).toEqual(
    new Set([String((settled[0] as PromiseRejectedResult).reason)]),
  );
  await control.send("CLIENT", ["UNPAUSE"]);
  // Nothing came back while the batch waited, so the link took Redis as down (redis-link.ts) and
  // closed that connection; it reconnects now that Redis answers.
  await waitFor("the link to reconnect", () => link.healthy());
  await link.call((client) => client.send("PING", []));
  // At most the one batch ran (it went with its connection, or ran as that closed): none of
  // those waiting behind it was sent.
  const stats = String(await control.send("INFO", ["commandstats"]));
  expect(Number(/cmdstat_evalsha:calls=(\d+),/.exec(stats)?.[1] ?? 0)).toBeLessThanOrEqual(1);
  control.close();
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

/**
 * The sliding windows as the admission script defines them (admit-script.ts), kept in memory: a
 * request counts while its time is within the window, tokens while their second's end is.
 */
class ReferenceCounters {
  private readonly requests = new Map<string, number[]>();
  private readonly tokens = new Map<string, Map<number, number>>();
  private readonly spend = new Map<string, number>();
  constructor(private readonly window = 60_000) {}

  admit(scopes: readonly SharedScope[], now: number) {
    const live = (second: number) => (second + 1) * 1000 + this.window > now;
    const usage = scopes.map((s) => {
      let requests = 0;
      let requestsResetMs = 0;
      if (s.rpm !== undefined) {
        const times = (this.requests.get(s.subject) ?? []).filter((t) => t > now - this.window);
        this.requests.set(s.subject, times);
        requests = times.length;
        if (times.length > 0) requestsResetMs = Math.min(...times) + this.window - now;
      }
      let tokens = 0;
      let tokensResetMs = 0;
      if (s.tpm !== undefined) {
        const seconds = [...(this.tokens.get(s.subject) ?? new Map<number, number>())].filter(([sec]) =>
          live(sec),
        );
        tokens = seconds.reduce((sum, [, n]) => sum + n, 0);
        const newest = Math.max(-1, ...seconds.map(([sec]) => sec));
        if (newest >= 0) tokensResetMs = (newest + 1) * 1000 + this.window - now;
      }
      return { requests, requestsResetMs, tokens, tokensResetMs };
    });
    const verdict = (limit: GatewayLimit, index: number, waitMs: number) => ({
      refused: {
        index,
        code: limit === "budget" ? ("budget_exceeded" as const) : ("rate_limited" as const),
        waitMs: Math.max(0, Math.floor(waitMs)),
        limit,
      },
      usage: usage.map((u) => ({
        ...u,
        requestsResetMs: Math.max(0, u.requestsResetMs),
        tokensResetMs: Math.max(0, u.tokensResetMs),
      })),
    });
    for (const [i, s] of scopes.entries()) {
      if (s.budgetUsd === undefined) continue;
      const held = this.spend.get(s.spendSubject);
      if (held === undefined || s.spentLocally > held) this.spend.set(s.spendSubject, s.spentLocally);
      if ((this.spend.get(s.spendSubject) ?? 0) >= s.budgetUsd) return verdict("budget", i, 3_600_000);
    }
    // Of the spent per-minute limits, the one that frees up last (tokens before requests on a tie).
    let refusal: { limit: GatewayLimit; index: number; wait: number } | undefined;
    for (const [i, s] of scopes.entries()) {
      const u = usage[i]!;
      if (s.tpm === undefined || u.tokens < s.tpm) continue;
      const buckets = [...(this.tokens.get(s.subject) ?? [])]
        .filter(([sec]) => live(sec))
        .sort((a, b) => a[0] - b[0]);
      let left = u.tokens;
      let wait = 0;
      for (const [second, n] of buckets) {
        left -= n;
        wait = (second + 1) * 1000 + this.window - now;
        if (left < s.tpm) break;
      }
      if (!refusal || wait > refusal.wait) refusal = { limit: "tokens", index: i, wait };
    }
    for (const [i, s] of scopes.entries()) {
      const u = usage[i]!;
      if (s.rpm === undefined || u.requests < s.rpm) continue;
      if (!refusal || u.requestsResetMs > refusal.wait)
        refusal = { limit: "requests", index: i, wait: u.requestsResetMs };
    }
    if (refusal) return verdict(refusal.limit, refusal.index, refusal.wait);
    for (const [i, s] of scopes.entries()) {
      if (s.rpm === undefined) continue;
      this.requests.get(s.subject)!.push(now);
      usage[i]!.requests++;
      usage[i]!.requestsResetMs = this.window;
    }
    return { refused: null, usage };
  }

  recordTokens(subject: string, tokens: number, second: number) {
    const buckets = this.tokens.get(subject) ?? new Map<number, number>();
    buckets.set(second, (buckets.get(second) ?? 0) + tokens);
    this.tokens.set(subject, buckets);
  }

  /** Spend counts only once a budget admission has seeded the counter (as in Redis). */
  recordSpend(subject: string, usd: number) {
    const spent = this.spend.get(subject);
    if (spent !== undefined) this.spend.set(subject, spent + usd);
  }

  spent(subject: string): number | undefined {
    return this.spend.get(subject);
  }

  tokensAt(subject: string, second: number): number {
    return this.tokens.get(subject)?.get(second) ?? 0;
  }
}

test("admission is exactly the sliding windows' over random traffic: batches, records, expiry", async () => {
  const [a, b] = await Promise.all(["a", "b"].map(node));
  const reader = new RedisClient(redis.url);
  let seed = 7;
  const random = () => {
    // mulberry32: the same traffic on every run.
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const between = (low: number, high: number) => low + Math.floor(random() * (high - low + 1));
  // Two keys of one tenant: the tenant's limits bind on their sum, each key's on its own.
  const tenant = scope("tenant:ref", {
    spendSubject: "tenant:ref:2026-11",
    rpm: 40,
    tpm: 900,
    budgetUsd: 6,
    spentLocally: 1,
  });
  const keys = [scope("key:ref1", { rpm: 25, tpm: 400 }), scope("key:ref2", { rpm: 25, tpm: 400 })];
  const reference = new ReferenceCounters();
  let now = 20_000_000_000;
  const seen = new Map<string, number>();
  // Times whose window edge is worth landing on: admitted requests, ends of recorded seconds.
  const edges: number[] = [];
  for (let step = 0; step < 200; step++) {
    // Mostly a few hundred ms apart; now and then a long jump; often to within a millisecond of
    // the moment an earlier request or token bucket leaves the window (the edges to get right).
    const edge = edges[edges.length - 1 - between(0, 15)];
    const draw = random();
    if (draw < 0.3 && edge !== undefined && edge + 60_000 > now) now = edge + 60_000 - between(0, 6);
    else now += draw < 0.4 ? between(20_000, 70_000) : between(0, 400);
    const nodeOf = random() < 0.5 ? a! : b!;
    const scopes = [keys[between(0, 1)]!, tenant];
    // One turn's batch: its requests a millisecond or so apart, so a batch crosses an edge.
    let t = now;
    const times = Array.from({ length: between(1, 12) }, () => (t += between(0, 1)));
    now = times.at(-1)!;
    const results = await Promise.all(times.map((t) => nodeOf.admit(scopes, t)));
    for (const [i, result] of results.entries()) {
      const expected = reference.admit(scopes, times[i]!);
      expect(result).toEqual(expected);
      // Which answer: admitted, or refused by which limit of which scope.
      const refusal = expected.refused;
      const kind = !refusal
        ? "admitted"
        : refusal.limit === "budget"
          ? "budget"
          : `${refusal.index === 0 ? "key" : "tenant"} ${refusal.limit === "tokens" ? "tpm" : "rpm"}`;
      seen.set(kind, (seen.get(kind) ?? 0) + 1);
      if (!refusal) edges.push(times[i]!);
    }
    if (random() < 0.6) {
      const tokens = between(1, 300);
      const usd = random() < 0.2 ? 0.25 : 0;
      // Now and then a record from a node whose answer finished a while ago (an older second).
      const at = random() < 0.3 ? now - between(0, 5_000) : now;
      const second = Math.floor(at / 1000);
      nodeOf.record(
        scopes.map((s) => ({ subject: s.subject, tokens })),
        usd > 0 ? [{ subject: "tenant:ref:2026-11", usd }] : [],
        at,
      );
      for (const s of scopes) reference.recordTokens(s.subject, tokens, second);
      edges.push((second + 1) * 1000);
      reference.recordSpend("tenant:ref:2026-11", usd);
      // Records go to Redis at once (or ahead of the node's next batch): wait for them, as the
      // next admission may be the other node's.
      await waitFor(
        "the tokens recorded",
        async () => {
          const stored = await Promise.all(
            scopes.map((s) => reader.hget(tokensKey(s.subject), String(second))),
          );
          return scopes.every((s, i) => Number(stored[i]) === reference.tokensAt(s.subject, second));
        },
        10_000,
        2,
      );
      if (usd > 0)
        await waitFor(
          "the spend recorded",
          async () =>
            Number(await reader.get("mgw:spend:tenant:ref:2026-11")) ===
            reference.spent("tenant:ref:2026-11"),
          10_000,
          2,
        );
    }
  }
  reader.close();
  if (process.env.SHOW_KINDS) console.log(seen);
  // The traffic reached every kind of answer.
  expect([...seen.keys()].sort()).toEqual([
    "admitted",
    "budget",
    "key rpm",
    "key tpm",
    "tenant rpm",
    "tenant tpm",
  ]);
});

test("a budget spent to the cent is spent in Redis too, whatever floating point's sum of its answers says: the node's stored total of ten $0.10 on a $1 budget", async () => {
  const [a] = await Promise.all(["a"].map(node));
  let stored = 0;
  for (let i = 0; i < 10; i++) stored += 0.1;
  expect(stored).toBeLessThan(1); // 0.9999999999999999, as the storage's sum of the answers' costs
  const verdict = await a!.admit([scope("key:cents", { budgetUsd: 1, spentLocally: stored })], 9_000_000);
  expect(verdict.refused).toMatchObject({ code: "budget_exceeded" });
});
