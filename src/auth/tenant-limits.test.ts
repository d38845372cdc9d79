import { describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { createMemorySpendStore } from "../storage/memory/memory-spend-store.ts";
import { gatewayErrorOf } from "../testing/gateway-error-of.ts";
import { budgetWaitMs, NEVER_RESETS_RETRY_MS, type Scope } from "./limit-scope.ts";
import type { Principal, TenantRules } from "./principal.ts";
import { RateLimiter, tenantSpendSubject } from "./rate-limiter.ts";
import { SpendLedger } from "./spend-ledger.ts";
import { manualClock } from "./test-support.ts";

const member = (keyId: string, rules: TenantRules, limits: Principal["limits"] = {}): Principal => ({
  keyId,
  name: keyId,
  tenant: "team-a",
  role: "user",
  models: ["*"],
  limits,
  via: "key",
  tenantRules: rules,
});

function outcome(limiter: RateLimiter, p: Principal): string {
  try {
    limiter.admit(p);
    return "ok";
  } catch (error) {
    if (error instanceof GatewayError) return `${error.status} ${error.code}: ${error.message}`;
    throw error;
  }
}

describe("budgetWaitMs", () => {
  const scope = (budgetPer: Scope["budgetPer"]): Scope => ({
    subject: "s",
    spendSubject: "s",
    spendSubjects: ["s"],
    rpm: undefined,
    tpm: undefined,
    budgetUsd: 1,
    budgetPer,
    owner: "o",
    kind: budgetPer === undefined ? "key" : "tenant",
  });
  test("a tenant's budget frees up when its UTC day or month ends; a key's own never does", () => {
    const at = Date.UTC(2026, 11, 31, 22, 30);
    expect(budgetWaitMs(scope("day"), at)).toBe(90 * 60_000);
    expect(budgetWaitMs(scope("month"), at)).toBe(90 * 60_000); // the year's last day: both end at once
    expect(budgetWaitMs(scope("month"), Date.UTC(2026, 1, 1))).toBe(28 * 86_400_000);
    expect(budgetWaitMs(scope(undefined), at)).toBe(NEVER_RESETS_RETRY_MS);
  });
});

describe("tenant limits bind every key of the tenant together", () => {
  test("rpm is exact across three keys, and a refusal counts against neither scope", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const rules: TenantRules = { bound: true, models: ["*"], rpm: 5 };
    const keys = [member("k1", rules), member("k2", rules, { rpm: 2 }), member("k3", rules)];
    const results = [0, 1, 2, 0, 1, 2, 0, 1, 2].map((i) => outcome(limiter, keys[i]!));
    // k2's own rpm (2) refuses its third call without using a tenant slot, so k1 gets a fifth.
    expect(results.filter((r) => r === "ok")).toHaveLength(5);
    expect(results.slice(0, 5)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    expect(results[5]).toContain(
      '429 rate_limited: rate limit reached for tenant "team-a" on requests per minute (limit 5)',
    );
    clock.advance(60_000);
    expect(outcome(limiter, keys[0]!)).toBe("ok");
  });

  test("a key refused by its own rpm leaves the tenant's slots for the others", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const rules: TenantRules = { bound: true, models: ["*"], rpm: 3 };
    const narrow = member("k1", rules, { rpm: 1 });
    const other = member("k2", rules);
    expect(outcome(limiter, narrow)).toBe("ok");
    expect(outcome(limiter, narrow)).toContain("for this credential on requests per minute (limit 1)");
    expect(outcome(limiter, narrow)).toContain("for this credential");
    expect(outcome(limiter, other)).toBe("ok");
    expect(outcome(limiter, other)).toBe("ok");
    expect(outcome(limiter, other)).toContain('tenant "team-a"');
  });

  test("tpm counts the tokens of every key", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const rules: TenantRules = { bound: true, models: ["*"], tpm: 100 };
    const [a, b] = [member("k1", rules), member("k2", rules)];
    limiter.admit(a);
    limiter.record(a, "m", { inputTokens: 60, outputTokens: 0 });
    limiter.admit(b);
    limiter.record(b, "m", { inputTokens: 40, outputTokens: 0 });
    expect(outcome(limiter, a)).toContain(
      '429 rate_limited: rate limit reached for tenant "team-a" on tokens per minute (limit 100)',
    );
  });

  test("the budget is the tenant's spend in the current period, over all keys", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 30, 23, 0));
    const spend = new SpendLedger({ store: createMemorySpendStore(), flushMs: 0 });
    await spend.start();
    const limiter = new RateLimiter({
      now: clock.now,
      spend,
      pricing: new PriceBook({
        prices: { m: { input_per_mtok: 1_000_000, output_per_mtok: 0 } },
        providers: [],
        models: [],
      }),
    });
    const rules: TenantRules = { bound: true, models: ["*"], budget: { usd: 3, per: "day" } };
    const keys = [member("k1", rules), member("k2", rules), member("k3", rules)];
    for (const key of keys) {
      expect(outcome(limiter, key)).toBe("ok");
      expect(limiter.record(key, "m", { inputTokens: 1, outputTokens: 0 })).toBe(1);
    }
    expect(spend.spent(tenantSpendSubject("team-a", "day", clock.now()))).toBe(3);
    for (const key of keys)
      expect(outcome(limiter, key)).toContain('budget_exceeded: spend budget exhausted for tenant "team-a"');
    clock.advance(1_800_000);
    // Retry-After: the seconds until the day ends (UTC), 30 minutes away now.
    const refusal = gatewayErrorOf(() => limiter.admit(keys[0]!));
    expect(refusal.headers).toMatchObject({ "retry-after": "1800", "x-should-retry": "false" });
    expect(refusal.message).toContain("it starts over when the day ends (UTC)");
    clock.advance(1_800_000); // the next UTC day
    expect(outcome(limiter, keys[0]!)).toBe("ok");
  });
  test("a key's own budget and its tenant's both bind: whichever is spent first refuses, and the key's spend is its tenant's too", async () => {
    const spend = new SpendLedger({ store: createMemorySpendStore(), flushMs: 0 });
    await spend.start();
    const limiter = new RateLimiter({
      now: manualClock(Date.UTC(2026, 10, 5, 12)).now,
      spend,
      pricing: new PriceBook({
        prices: { m: { input_per_mtok: 1_000_000, output_per_mtok: 0 } },
        providers: [],
        models: [],
      }),
    });
    const rules: TenantRules = { bound: true, models: ["*"], budget: { usd: 3, per: "month" } };
    // Its own budget is the lower: it refuses the key first, and leaves the tenant's for the others.
    const frugal = member("k1", rules, { budgetUsd: 1 });
    // Its own budget is the higher: the tenant's refuses it, as it does every key of the tenant.
    const lavish = member("k2", rules, { budgetUsd: 100 });
    const other = member("k3", rules);
    expect(outcome(limiter, frugal)).toBe("ok");
    limiter.record(frugal, "m", { inputTokens: 1, outputTokens: 0 });
    expect(outcome(limiter, frugal)).toContain("budget_exceeded: spend budget exhausted for this credential");
    for (const key of [lavish, lavish]) {
      expect(outcome(limiter, key)).toBe("ok");
      limiter.record(key, "m", { inputTokens: 1, outputTokens: 0 });
    }
    // $1 of frugal's and $2 of lavish's: the tenant's $3 is spent, lavish's own $100 not.
    expect(spend.spent(tenantSpendSubject("team-a", "month", Date.UTC(2026, 10, 5, 12)))).toBe(3);
    for (const key of [lavish, other])
      expect(outcome(limiter, key)).toContain('budget_exceeded: spend budget exhausted for tenant "team-a"');
  });
});

describe("x-ratelimit-* headers describe the limit that binds first", () => {
  /** Each answer's requests and tokens headers, as [limit, remaining, reset]. */
  const families = (headers: Readonly<Record<string, string>> | undefined) => ({
    requests: ["limit", "remaining", "reset"].map((part) => headers?.[`x-ratelimit-${part}-requests`]),
    tokens: ["limit", "remaining", "reset"].map((part) => headers?.[`x-ratelimit-${part}-tokens`]),
  });
  const admitted = (limiter: RateLimiter, p: Principal) =>
    families(limiter.admit(p) as Readonly<Record<string, string>>);

  test("a tenant's tighter rpm and tpm are the headers, not the key's looser ones", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const rules: TenantRules = { bound: true, models: ["*"], rpm: 3, tpm: 100 };
    const key = member("k1", rules, { rpm: 100, tpm: 10_000 });
    expect(admitted(limiter, key).requests).toEqual(["3", "2", "1m0s"]);
    limiter.record(key, "m", { inputTokens: 60, outputTokens: 0 });
    clock.advance(1000);
    expect(admitted(limiter, key)).toEqual({ requests: ["3", "1", "1m0s"], tokens: ["100", "40", "59s"] });
    expect(admitted(limiter, key).requests).toEqual(["3", "0", "1m0s"]);
    // The refusal is the tenant's, and so are its headers: the requests' reset is when its first
    // request leaves (Retry-After), not its last.
    clock.advance(1000);
    const refusal = gatewayErrorOf(() => limiter.admit(key));
    expect(refusal.message).toContain('tenant "team-a"');
    expect(families(refusal.headers)).toEqual({ requests: ["3", "0", "58s"], tokens: ["100", "40", "58s"] });
    expect(refusal.headers["retry-after"]).toBe("58");
  });

  test("whichever scope has less left gives the headers; on a tie, the one that frees up sooner", () => {
    const clock = manualClock();
    const limiter = new RateLimiter({ now: clock.now });
    const rules: TenantRules = { bound: true, models: ["*"], rpm: 10 };
    const narrow = member("k1", rules, { rpm: 4 });
    const other = member("k2", rules);
    // The tenant has 9 left, the key 3: the key's.
    expect(admitted(limiter, narrow).requests).toEqual(["4", "3", "1m0s"]);
    // The tenant 3 left, the key 3: a tie; the key's window (its last request 10 s ago) frees up
    // before the tenant's (the other key's request just now).
    for (let i = 0; i < 5; i++) limiter.admit(other);
    clock.advance(10_000);
    limiter.admit(other);
    expect(families(limiter.headersFor(narrow)).requests).toEqual(["4", "3", "50s"]);
    // Then the tenant has less left than the key: the tenant's.
    limiter.admit(other);
    expect(families(limiter.headersFor(narrow)).requests).toEqual(["10", "2", "1m0s"]);
    expect(admitted(limiter, narrow).requests).toEqual(["10", "1", "1m0s"]);
  });

  test("a refusal's headers describe the limit that refused it", () => {
    const limiter = new RateLimiter({ now: manualClock().now });
    const rules: TenantRules = { bound: true, models: ["*"], rpm: 5 };
    const narrow = member("k1", rules, { rpm: 1 });
    limiter.admit(narrow);
    const refusal = gatewayErrorOf(() => limiter.admit(narrow));
    expect(refusal.message).toContain("for this credential");
    expect(families(refusal.headers).requests).toEqual(["1", "0", "1m0s"]);
  });

  test("a JWT subject's own limits are weighed against its tenant's the same way", () => {
    const limiter = new RateLimiter({ now: manualClock().now });
    const rules: TenantRules = { bound: true, models: ["*"], rpm: 2 };
    const jwt: Principal = { ...member("k1", rules, { rpm: 50 }), keyId: null, via: "jwt" };
    expect(admitted(limiter, jwt).requests).toEqual(["2", "1", "1m0s"]);
    expect(admitted(limiter, { ...jwt, name: "carol" }).requests).toEqual(["2", "0", "1m0s"]);
  });
});
