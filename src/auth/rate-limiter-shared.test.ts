import { expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { limitSubject, type Principal } from "./principal.ts";
import { type Pricing, RateLimiter, tenantSpendSubject } from "./rate-limiter.ts";
import type { SharedAdmission, SharedCounters, SharedScope } from "./shared-counters.ts";
import { manualClock } from "./test-support.ts";

const principal: Principal = {
  keyId: "key_a",
  name: "alice",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits: { rpm: 30 },
  via: "key",
};

/** Shared counters as a test controls them: up or down, and what they answer. */
function fakeShared(answer: (scopes: readonly SharedScope[]) => SharedAdmission | Error) {
  const state = {
    up: true,
    admitted: 0,
    recorded: [] as {
      tokens: readonly { subject: string; tokens: number }[];
      spend: readonly { subject: string; usd: number }[];
    }[],
  };
  const shared: SharedCounters = {
    available: () => state.up,
    nodes: () => 3,
    async admit(scopes) {
      const result = answer(scopes);
      if (result instanceof Error) throw result;
      if (result.refused === null) state.admitted++;
      return result;
    },
    record: (tokens, spend) => {
      state.recorded.push({ tokens, spend });
      return undefined;
    },
  };
  return { shared, state };
}

const usage = { requests: 30, requestsResetMs: 1500, tokens: 0, tokensResetMs: 0 };

test("while shared counters are up, their verdict is final: a refusal is a 429, never retried locally", async () => {
  const { shared, state } = fakeShared(() => ({
    refused: { index: 0, code: "rate_limited", waitMs: 1500 },
    usage: [usage],
  }));
  const limiter = new RateLimiter({ shared, now: manualClock().now });
  const error = await Promise.resolve(limiter.admit(principal)).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(GatewayError);
  expect(error).toMatchObject({ status: 429, code: "rate_limited" });
  expect((error as GatewayError).headers).toMatchObject({
    "retry-after": "2",
    "x-ratelimit-remaining-requests": "0",
  });
  expect(state.admitted).toBe(0);
});

test("admitted through shared counters: headers come from their usage", async () => {
  const { shared } = fakeShared(() => ({ refused: null, usage: [{ ...usage, requests: 7 }] }));
  const limiter = new RateLimiter({ shared, now: manualClock().now });
  expect(await limiter.admit(principal)).toMatchObject({
    "x-ratelimit-limit-requests": "30",
    "x-ratelimit-remaining-requests": "23",
  });
});

test("shared counters down (or failing mid-call): each node allows its share, limit / live nodes", async () => {
  const switches: boolean[] = [];
  const { shared, state } = fakeShared(() => new Error("connection closed"));
  const limiter = new RateLimiter({
    shared,
    now: manualClock().now,
    onFallback: (local) => switches.push(local),
  });
  // Failing mid-call: admitted locally.
  expect(await limiter.admit(principal)).toMatchObject({ "x-ratelimit-limit-requests": "10" });
  state.up = false;
  let admitted = 1;
  for (;;) {
    try {
      await limiter.admit(principal);
      admitted++;
    } catch (error) {
      expect(error).toMatchObject({ status: 429 });
      break;
    }
  }
  expect(admitted).toBe(10); // 30 rpm over 3 live nodes
  expect(limiter.isFallingBack).toBe(true);
  state.up = true;
  await Promise.resolve(limiter.admit(principal)).catch(() => {});
  // Up again, and this fake still fails the call: still on the fallback, never said to be back.
  expect(switches).toEqual([true]);
});

/** Shared counters whose link the test takes down and brings back, as cluster-redis.ts tells it. */
function linkedShared(answer: (scopes: readonly SharedScope[]) => SharedAdmission | Error) {
  const fake = fakeShared(answer);
  const listeners: ((available: boolean) => void)[] = [];
  const link = (up: boolean) => {
    fake.state.up = up;
    for (const listener of listeners) listener(up);
  };
  const shared: SharedCounters = {
    ...fake.shared,
    onAvailabilityChange: (listener) => void listeners.push(listener),
  };
  return { shared, link };
}

test("a shared admission that fails while the link still reads up (Redis stopped, its call timed out) switches to the fallback, and the next admission does not say the counters are back", async () => {
  let reply: SharedAdmission | Error = new Error("redis call took over 2000 ms");
  const { shared } = linkedShared(() => reply);
  const switches: boolean[] = [];
  const limiter = new RateLimiter({
    shared,
    now: manualClock().now,
    onFallback: (local) => switches.push(local),
  });
  await limiter.admit(principal);
  await limiter.admit(principal);
  expect(switches).toEqual([true]);
  expect(limiter.isFallingBack).toBe(true);
  // Redis answers again: admission is shared, and says so once.
  reply = { refused: null, usage: [usage] };
  await limiter.admit(principal);
  await limiter.admit(principal);
  expect(switches).toEqual([true, false]);
  expect(limiter.isFallingBack).toBe(false);
});

test("the link's going down and coming back switch admission when they happen, with no request between, told by the link's own line only", async () => {
  const { shared, link } = linkedShared(() => ({ refused: null, usage: [usage] }));
  const switches: boolean[] = [];
  const limiter = new RateLimiter({
    shared,
    now: manualClock().now,
    onFallback: (local) => switches.push(local),
  });
  await limiter.admit(principal);
  expect(switches).toEqual([]);
  link(false);
  expect(limiter.isFallingBack).toBe(true);
  // A request while the link is down: admitted locally, no line of the limits'.
  await limiter.admit(principal);
  link(true);
  expect(limiter.isFallingBack).toBe(false);
  await limiter.admit(principal);
  // The link's transitions are said where the link is (cluster-redis.ts): no second line here.
  expect(switches).toEqual([]);
});

test("an answer on a cluster node is counted in the shared counters: tokens where a tpm applies, spend in every scope", () => {
  const { shared, state } = fakeShared(() => ({ refused: null, usage: [] }));
  const clock = manualClock();
  const pricing: Pricing = { cost: (_model, used) => used.outputTokens / 1000, isPriced: () => true };
  const limiter = new RateLimiter({ shared, now: clock.now, pricing });
  const member: Principal = {
    ...principal,
    limits: { tpm: 1000 },
    tenant: "team-a",
    tenantRules: { bound: true, models: ["*"], budget: { usd: 5, per: "month" } },
  };
  expect(limiter.record(member, "m", { inputTokens: 3, outputTokens: 2 })).toBe(0.002);
  // The tenant's day as well as the month its budget is enforced over: a reload may move it there.
  const day = tenantSpendSubject("team-a", "day", clock.now());
  const month = tenantSpendSubject("team-a", "month", clock.now());
  expect(state.recorded).toEqual([
    {
      tokens: [{ subject: limitSubject(member), tokens: 5 }],
      spend: [
        { subject: limitSubject(member), usd: 0.002 },
        { subject: day, usd: 0.002 },
        { subject: month, usd: 0.002 },
      ],
    },
  ]);
  // Nothing used and nothing spent: the shared counters are told so, with nothing to add.
  limiter.record(member, "m", { inputTokens: 0, outputTokens: 0 });
  expect(state.recorded[1]).toEqual({ tokens: [], spend: [] });
});

test("a budget the shared counters refuse frees up when the tenant's period ends, not when they say", async () => {
  const { shared } = fakeShared(() => ({
    refused: { index: 0, code: "budget_exceeded", waitMs: 3_600_000 },
    usage: [usage],
  }));
  const limiter = new RateLimiter({ shared, now: manualClock(Date.UTC(2026, 10, 30, 12)).now });
  const member: Principal = {
    ...principal,
    limits: {},
    tenant: "team-a",
    tenantRules: { bound: true, models: ["*"], budget: { usd: 5, per: "month" } },
  };
  const error = await Promise.resolve(limiter.admit(member)).catch((e: unknown) => e);
  expect(error).toMatchObject({ status: 429, code: "budget_exceeded" });
  expect((error as GatewayError).headers).toMatchObject({
    "retry-after": "43200",
    "x-should-retry": "false",
  });
});
