import { expect, test } from "bun:test";
import { RedisClient } from "bun";
import type { RedisServer } from "../../test/e2e/harness/redis-server.ts";
import { waitFor } from "../../test/e2e/harness/wait-for.ts";
import type { SharedScope } from "../auth/shared-counters.ts";
import type { GatewayLimit } from "../core/gateway-error.ts";
import { tokensKey } from "./redis-counters.ts";
import { redisCounterNodes, scope } from "./testing/redis-counter-nodes.ts";

// Shared counters in a real Redis against an in-memory model of the admission script's sliding
// windows, over random traffic.

let redis: RedisServer;
const { node } = redisCounterNodes((server) => {
  redis = server;
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
