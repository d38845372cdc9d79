import { describe, expect, test } from "bun:test";
import type { GatewayError } from "../core/gateway-error.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { createMemorySpendStore } from "../storage/memory/memory-spend-store.ts";
import { gatewayErrorOf } from "../testing/gateway-error-of.ts";
import { cellsKeptAfterChurn } from "../testing/kept-after-churn.ts";
import { keyRecord } from "../testing/key-record.ts";
import { MemoryCounterStore } from "./memory-counter-store.ts";
import { type Principal, principalFromKey, type TenantRules } from "./principal.ts";
import { type Pricing, RateLimiter } from "./rate-limiter.ts";
import { SpendLedger } from "./spend-ledger.ts";
import { manualClock } from "./test-support.ts";

const principal = (limits: Principal["limits"], keyId: string | null = "key_a"): Principal => ({
  keyId,
  name: "alice",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits,
  via: keyId ? "key" : "jwt",
});

const refused = (limiter: RateLimiter, p: Principal) => gatewayErrorOf(() => limiter.admit(p));

describe("requests per minute", () => {
  test("exactly rpm requests pass and the next one is refused", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const p = principal({ rpm: 100 });
    for (let i = 0; i < 99; i++) limiter.admit(p);
    expect(limiter.admit(p)).toEqual({
      "x-ratelimit-limit-requests": "100",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1m0s",
    });
    const error = refused(limiter, p);
    expect([error.status, error.code]).toEqual([429, "rate_limited"]);
    expect(error.headers).toEqual({
      "x-ratelimit-limit-requests": "100",
      "x-ratelimit-remaining-requests": "0",
      "x-ratelimit-reset-requests": "1m0s",
      "retry-after": "60",
    });
  });

  test("the headers go into the record admission is given (the response's own), alongside what it holds", () => {
    const limiter = new RateLimiter({ now: manualClock().now });
    const into: Record<string, string> = { "x-request-id": "req_1" };
    // Through the policy one config version sees, as the front door calls it.
    expect(
      limiter
        .priced(new PriceBook({ prices: {}, providers: [], models: [] }))
        .admit(principal({ rpm: 10 }), undefined, into),
    ).toBe(into);
    expect(into).toEqual({
      "x-request-id": "req_1",
      "x-ratelimit-limit-requests": "10",
      "x-ratelimit-remaining-requests": "9",
      "x-ratelimit-reset-requests": "1m0s",
    });
  });

  test("the window slides: a slot frees exactly when the oldest request is a minute old", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const p = principal({ rpm: 3 });
    limiter.admit(p);
    clock.advance(30_000);
    limiter.admit(p);
    limiter.admit(p);
    clock.advance(15_000);
    expect(refused(limiter, p).headers["retry-after"]).toBe("15");
    clock.advance(14_999);
    expect(refused(limiter, p).headers["retry-after"]).toBe("1");
    clock.advance(1);
    limiter.admit(p);
    expect(refused(limiter, p).headers["retry-after"]).toBe("30");
  });

  test("refused requests are not counted; subjects are independent", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const a = principal({ rpm: 2 });
    const b = principal({ rpm: 2 }, "key_b");
    limiter.admit(a);
    limiter.admit(a);
    for (let i = 0; i < 10; i++) refused(limiter, a);
    limiter.admit(b);
    clock.advance(60_000);
    limiter.admit(a);
    limiter.admit(a);
    refused(limiter, a);
  });

  test("a changed rpm applies at once", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    for (let i = 0; i < 5; i++) limiter.admit(principal({ rpm: 5 }));
    refused(limiter, principal({ rpm: 5 }));
    limiter.admit(principal({ rpm: 6 }));
    refused(limiter, principal({ rpm: 6 }));
    refused(limiter, principal({ rpm: 2 }));
  });

  test("success headers report what is left", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const p = principal({ rpm: 10, tpm: 1000 });
    limiter.admit(p);
    limiter.record(p, "m", { inputTokens: 100, outputTokens: 50 });
    clock.advance(2000);
    expect(limiter.headersFor(p)).toEqual({
      "x-ratelimit-limit-requests": "10",
      "x-ratelimit-remaining-requests": "9",
      "x-ratelimit-reset-requests": "58s",
      "x-ratelimit-limit-tokens": "1000",
      "x-ratelimit-remaining-tokens": "850",
      "x-ratelimit-reset-tokens": "58s",
    });
    expect(limiter.headersFor(principal({}))).toEqual({});
    expect(limiter.admit(principal({}, "key_free"))).toEqual({});
  });

  test("JWT callers are limited per subject", () => {
    const limiter = new RateLimiter({ now: manualClock().now });
    const jwt = principal({ rpm: 1 }, null);
    limiter.admit(jwt);
    refused(limiter, jwt);
    limiter.admit({ ...jwt, name: "carol" });
    // The key's scope is kept per limits object (shared here by both callers): each subject is
    // still its own, whichever came last.
    refused(limiter, { ...jwt, name: "carol" });
    refused(limiter, jwt);
    limiter.admit({ ...jwt, name: "dave" });
  });
});

describe("tokens per minute", () => {
  test("usage recorded after the answer refuses the next request once tpm is reached", () => {
    const clock = manualClock(0);
    const limiter = new RateLimiter({ now: clock.now });
    const p = principal({ tpm: 1000 });
    limiter.admit(p);
    limiter.record(p, "m", { inputTokens: 400, outputTokens: 200 });
    clock.advance(10_000);
    limiter.admit(p);
    limiter.record(p, "m", { inputTokens: 300, outputTokens: 99 });
    limiter.admit(p);
    limiter.record(p, "m", { inputTokens: 0, outputTokens: 1 });
    const error = refused(limiter, p);
    expect(error.code).toBe("rate_limited");
    // The first 600 tokens leave the window at 60 s; then 400 < 1000 remain.
    expect(error.headers["retry-after"]).toBe("50");
    expect(error.headers["x-ratelimit-remaining-tokens"]).toBe("0");
    clock.set(59_999);
    refused(limiter, p);
    clock.set(60_000);
    limiter.admit(p);
  });

  test("a whole answer's headers count its own tokens once recorded; with no tokens counted (no tpm, or none used) they are left as admitted, no counter read", () => {
    const clock = manualClock(0);
    const counters = new TokenReadsCounted();
    const limiter = new RateLimiter({ now: clock.now, counters });
    // As the front door calls it: the headers admission wrote, given back with the answer's charge.
    const policy = limiter.priced(new PriceBook({ prices: {}, providers: [], models: [] }));
    const p = principal({ rpm: 5, tpm: 2_000 });
    const answer: Record<string, string> = {};
    policy.admit(p, "m", answer);
    expect(answer["x-ratelimit-remaining-tokens"]).toBe("2000");
    policy.record(p, "m", { inputTokens: 1_000, outputTokens: 500 }, undefined, answer);
    expect(answer).toEqual({
      "x-ratelimit-limit-requests": "5",
      "x-ratelimit-remaining-requests": "4",
      "x-ratelimit-reset-requests": "1m0s",
      "x-ratelimit-limit-tokens": "2000",
      "x-ratelimit-remaining-tokens": "500",
      "x-ratelimit-reset-tokens": "1m0s",
    });
    // Nothing a tpm counted: the headers are not made again, no token counter read.
    for (const [keyId, limits, used] of [
      ["key_rpm", { rpm: 5 }, { inputTokens: 1_000, outputTokens: 500 }],
      ["key_idle", { rpm: 5, tpm: 2_000 }, { inputTokens: 0, outputTokens: 0 }],
    ] as const) {
      const caller = principal(limits, keyId);
      const admitted: Record<string, string> = {};
      policy.admit(caller, "m", admitted);
      const before = { ...admitted };
      counters.reads = 0;
      policy.record(caller, "m", used, undefined, admitted);
      expect({ keyId, admitted, tokenReads: counters.reads }).toEqual({
        keyId,
        admitted: before,
        tokenReads: 0,
      });
    }
  });
});

/** A memory counter store that counts the reads of its token windows. */
class TokenReadsCounted extends MemoryCounterStore {
  reads = 0;
  override tokensUsed(subject: string, now: number): number {
    this.reads++;
    return super.tokensUsed(subject, now);
  }
  override tokensResetMs(subject: string, now: number): number {
    this.reads++;
    return super.tokensResetMs(subject, now);
  }
}

describe("spend budget", () => {
  const prices = {
    "gpt-4o": { input_per_mtok: 2.5, output_per_mtok: 10 },
    "llama-*": { input_per_mtok: 0.1, output_per_mtok: 0.2 },
  };
  const pricing = new PriceBook({ prices, providers: [], models: [] });

  test("cost is tokens × price / 1e6; exact names beat globs; unknown models are free", () => {
    const limiter = new RateLimiter({ pricing });
    const p = principal({});
    expect(limiter.record(p, "gpt-4o", { inputTokens: 1000, outputTokens: 500 })).toBeCloseTo(0.0075, 12);
    expect(limiter.record(p, "llama-3", { inputTokens: 1e6, outputTokens: 1e6 })).toBeCloseTo(0.3, 12);
    expect(limiter.record(p, "mystery", { inputTokens: 1e6, outputTokens: 1e6 })).toBe(0);
  });

  test("spend past the budget refuses with budget_exceeded, and survives a restart", async () => {
    const store = createMemorySpendStore();
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    const limiter = new RateLimiter({ pricing, spend: ledger });
    const p = principal({ budgetUsd: 1 });
    limiter.admit(p);
    limiter.record(p, "gpt-4o", { inputTokens: 200_000, outputTokens: 40_000 }); // 0.5 + 0.4
    limiter.admit(p);
    limiter.record(p, "gpt-4o", { inputTokens: 40_000, outputTokens: 0 }); // 0.1
    const error = refused(limiter, p);
    // A key's own budget never starts over: a day's Retry-After, and the SDKs told not to retry.
    expect([error.status, error.code, error.headers["retry-after"], error.headers["x-should-retry"]]).toEqual(
      [429, "budget_exceeded", "86400", "false"],
    );
    expect(error.message).toContain("it does not reset (an admin can raise it)");
    await ledger.close();
    expect(await store.total("key_a")).toBeCloseTo(1, 12);

    const restarted = new SpendLedger({ store, flushMs: 0 });
    await restarted.start();
    refused(new RateLimiter({ pricing, spend: restarted }), p);
  });

  test("a rotation's old key in its grace window and its new key spend one total against one budget, counted under the chain's first key", async () => {
    const store = createMemorySpendStore();
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    const limiter = new RateLimiter({ pricing, spend: ledger });
    const first = keyRecord({ id: "key_old", budgetUsd: 1 });
    const old = principalFromKey({ ...first, expiresAt: Date.now() + 600_000 });
    const rotated = principalFromKey({
      ...first,
      id: "key_new",
      hash: "2".padStart(64, "0"),
      chain: "key_old",
    });
    limiter.admit(old);
    limiter.record(old, "gpt-4o", { inputTokens: 200_000, outputTokens: 0 }); // 0.5
    limiter.admit(rotated);
    limiter.record(rotated, "gpt-4o", { inputTokens: 160_000, outputTokens: 0 }); // 0.4
    // 0.9 spent by the two: one more answer of either passes, then neither does.
    limiter.admit(old);
    limiter.record(old, "gpt-4o", { inputTokens: 40_000, outputTokens: 0 }); // 0.1
    for (const key of [old, rotated]) expect(refused(limiter, key).code).toBe("budget_exceeded");
    await ledger.close();
    expect(await store.total("key_old")).toBeCloseTo(1, 12);
    expect(await store.total("key_new")).toBe(0);
  });

  test("a JWT subject's spent budget says where it is raised: the config, not an admin call on a key", async () => {
    const store = createMemorySpendStore();
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    const limiter = new RateLimiter({ pricing, spend: ledger });
    const p = principal({ budgetUsd: 1 }, null);
    limiter.admit(p);
    limiter.record(p, "gpt-4o", { inputTokens: 400_000, outputTokens: 0 }); // 1.00
    const error = refused(limiter, p);
    expect([error.status, error.code, error.headers["retry-after"], error.headers["x-should-retry"]]).toEqual(
      [429, "budget_exceeded", "86400", "false"],
    );
    expect(error.message).toBe(
      "spend budget exhausted for this credential; it does not reset (every token subject's budget is auth.jwt.limits.budget_usd in the gateway's config; an operator can raise it)",
    );
    // Spent under the subject, where /admin/api/spend?ids=jwt:default:alice reads it.
    await ledger.close();
    expect(await store.total("jwt:default:alice")).toBeCloseTo(1, 12);
  });

  test("a caller without a key that is no JWT (an embedder's principal) is not told of auth.jwt, nor counted as a JWT subject", async () => {
    const store = createMemorySpendStore();
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    const limiter = new RateLimiter({ pricing, spend: ledger });
    const p: Principal = { ...principal({ budgetUsd: 1 }, null), via: "key" };
    limiter.admit(p);
    limiter.record(p, "gpt-4o", { inputTokens: 400_000, outputTokens: 0 }); // 1.00
    expect(refused(limiter, p).message).toBe(
      "spend budget exhausted for this credential; it does not reset (an admin can raise it)",
    );
    await ledger.close();
    expect(await store.total("key:default:alice")).toBeCloseTo(1, 12);
    expect(await store.total("jwt:default:alice")).toBe(0);
  });

  test("a budget spent to the cent is spent, whatever floating point's sum of its answers says (ten $0.10 answers of a $1 budget sum to 0.9999999999999999)", async () => {
    const ledger = new SpendLedger({ store: createMemorySpendStore(), flushMs: 0 });
    await ledger.start();
    const dime = new PriceBook({
      prices: { m: { input_per_mtok: 1, output_per_mtok: 0 } },
      providers: [],
      models: [],
    });
    const limiter = new RateLimiter({ pricing: dime, spend: ledger });
    const p = principal({ budgetUsd: 1 }, "key_dimes");
    for (let i = 0; i < 10; i++) {
      limiter.admit(p, "m");
      limiter.record(p, "m", { inputTokens: 100_000, outputTokens: 0 }); // $0.10
    }
    // What the admin API shows (roundUsd): $1 spent, $0 left. An eleventh answer would go past it.
    expect(ledger.spent("key_dimes")).toBeLessThan(1);
    expect(gatewayErrorOf(() => limiter.admit(p, "m")).code).toBe("budget_exceeded");
  });

  test("a budget cannot use a model that nothing prices (403); an unbudgeted key can", () => {
    const limiter = new RateLimiter({ pricing });
    const budgeted = principal({ budgetUsd: 5 });
    limiter.admit(budgeted, "gpt-4o");
    const error = (() => {
      try {
        limiter.admit(budgeted, "mystery");
      } catch (e) {
        return e as GatewayError;
      }
      throw new Error("admitted");
    })();
    expect([error.status, error.code]).toEqual([403, "forbidden"]);
    expect(error.message).toContain("model mystery has no price");
    limiter.admit(principal({}), "mystery");
  });

  test("a reload that gives a tenant a day budget, or changes its period, finds the period's spend whole", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 5, 12));
    const ledger = new SpendLedger({ store: createMemorySpendStore(), flushMs: 0 });
    await ledger.start();
    // A dollar an input token: sums that binary fractions hold exactly.
    const dollars: Pricing = { cost: (_model, used) => used.inputTokens, isPriced: () => true };
    const limiter = new RateLimiter({ pricing: dollars, spend: ledger, now: clock.now });
    // The principal each config version binds the tenant's key to (tenants/bind-tenant.ts).
    const member = (budget?: TenantRules["budget"]): Principal => ({
      ...principal({}),
      tenant: "acme",
      tenantRules: { bound: true, models: ["*"], ...(budget ? { budget } : {}) },
    });
    const spend = (p: Principal, usd: number) => {
      limiter.admit(p);
      limiter.record(p, "m", { inputTokens: usd, outputTokens: 0 });
    };
    spend(member(), 2); // no budget: counted over the month, and the day too
    // A reload gives acme $3 a day: today's $2 count, so $1 more spends it.
    const daily = member({ usd: 3, per: "day" });
    spend(daily, 1);
    expect(refused(limiter, daily).code).toBe("budget_exceeded");
    // Moved to $4 a month: the month's $3 count, so $1 more spends it.
    const monthly = member({ usd: 4, per: "month" });
    spend(monthly, 1);
    expect(refused(limiter, monthly).code).toBe("budget_exceeded");
    // And back to the day: today's $4, spent while the month's budget was in force, still count.
    expect(refused(limiter, daily).code).toBe("budget_exceeded");
    // The next day starts over; the month does not.
    clock.advance(86_400_000);
    limiter.admit(daily);
    expect(refused(limiter, monthly).code).toBe("budget_exceeded");
  });

  test("ledgers sharing a store see each other's spend after a flush", async () => {
    const store = createMemorySpendStore();
    const a = new SpendLedger({ store, flushMs: 0 });
    const b = new SpendLedger({ store, flushMs: 0 });
    await Promise.all([a.start(), b.start()]);
    a.add("key_a", 0.25);
    b.add("key_a", 0.5);
    expect(a.spent("key_a")).toBe(0.25);
    await a.flush();
    await b.flush();
    expect(b.spent("key_a")).toBe(0.75);
    await a.flush();
    expect(a.spent("key_a")).toBe(0.75);
  });

  test("a failed flush keeps the deltas", async () => {
    const store = createMemorySpendStore();
    let fail = true;
    const flaky = {
      ...store,
      add: async (deltas: ReadonlyMap<string, number>) => {
        if (fail) throw new Error("disk full");
        await store.add(deltas);
      },
    };
    const ledger = new SpendLedger({ store: flaky, flushMs: 0 });
    await ledger.start();
    ledger.add("key_a", 2);
    await expect(ledger.flush()).rejects.toThrow("disk full");
    expect(ledger.spent("key_a")).toBe(2);
    fail = false;
    await ledger.flush();
    expect(await store.total("key_a")).toBe(2);
    expect(ledger.spent("key_a")).toBe(2);
  });
});

test("the headers of many admissions leave no strings for young collections to keep", async () => {
  const clock = manualClock();
  const limiter = new RateLimiter({ now: clock.now });
  const p = principal({ rpm: 1_000_000_000, tpm: 1_000_000_000_000 });
  const usage = { inputTokens: 12, outputTokens: 20 };
  const kept = await cellsKeptAfterChurn("string", () => {
    clock.advance(1);
    limiter.record(p, "m", usage);
    limiter.admit(p);
    return limiter.headersFor(p)["x-ratelimit-remaining-requests"] ?? "";
  });
  // The counts made with String() kept ~1,000 of the 2,000 admissions' (Bun 1.4.5).
  expect(kept).toBeLessThan(100);
});

test("an answer is priced at one wall-clock reading and its tokens counted at one window-clock reading", () => {
  // Clocks that move on every read: each is read once (the price's day on the wall clock, the
  // tokens' minute on the window clock, which an NTP step never moves).
  let now = 1_700_000_000_000;
  let windowReads = 0;
  const pricedAt: number[] = [];
  const limiter = new RateLimiter({
    now: () => now++,
    windowClock: () => 5_000 + windowReads++,
    pricing: {
      cost: (_model, _usage, _served, at) => {
        pricedAt.push(at);
        return 0.25;
      },
      isPriced: () => true,
    },
  });
  const cost = limiter.record(principal({ tpm: 1_000 }), "m", { inputTokens: 10, outputTokens: 5 });
  expect(cost).toBe(0.25);
  expect(pricedAt).toEqual([1_700_000_000_000]);
  expect(now).toBe(1_700_000_000_001);
  expect(windowReads).toBe(1);
});
