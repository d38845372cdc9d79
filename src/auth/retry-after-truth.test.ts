import { expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import type { Principal, TenantRules } from "./principal.ts";
import { RateLimiter } from "./rate-limiter.ts";
import { manualClock } from "./test-support.ts";

// A 429's Retry-After is when the request would be admitted: with more than one limit spent (the
// key's tokens and its requests, or the key's and its tenant's), the longest of their waits.

const caller = (limits: Principal["limits"], tenantRules?: TenantRules): Principal => ({
  keyId: "key_a",
  name: "alice",
  tenant: tenantRules ? "team-a" : "default",
  role: "user",
  models: ["*"],
  limits,
  via: "key",
  ...(tenantRules ? { tenantRules } : {}),
});

const USAGE = { inputTokens: 5, outputTokens: 5 };

/** The refusal `run` threw; undefined when it admitted. */
function refusalOf(run: () => unknown): GatewayError | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
}

/** Retries `p` when each refusal's Retry-After says, until admitted; the refusals seen. */
function retriesUntilAdmitted(limiter: RateLimiter, p: Principal, clock: { advance: (ms: number) => void }) {
  const refusals: string[] = [];
  for (let i = 0; i < 5; i++) {
    const refusal = refusalOf(() => limiter.admit(p));
    if (refusal === undefined) return refusals;
    refusals.push(refusal.message);
    clock.advance(Number(refusal.headers?.["retry-after"]) * 1000);
  }
  return refusals;
}

test("the key's tokens free up sooner than its tenant's: Retry-After is the tenant's, which binds longer", () => {
  const clock = manualClock();
  const limiter = new RateLimiter({ now: clock.now });
  const rules: TenantRules = { bound: true, models: ["*"], tpm: 100 };
  const p = caller({ tpm: 10 }, rules);
  const other: Principal = { ...caller({}, rules), keyId: "key_b", name: "bob" };
  limiter.admit(p);
  limiter.record(p, "m", USAGE);
  clock.advance(30_000);
  limiter.admit(other);
  limiter.record(other, "m", { inputTokens: 50, outputTokens: 50 });
  clock.advance(1000);
  const refusals = retriesUntilAdmitted(limiter, p, clock);
  expect(refusals).toEqual([
    'rate limit reached for tenant "team-a" on tokens per minute (limit 100); retry in the time Retry-After says',
  ]);
});

test("a key and its tenant both out of requests: Retry-After is the later of the two", () => {
  const clock = manualClock();
  const limiter = new RateLimiter({ now: clock.now });
  const rules: TenantRules = { bound: true, models: ["*"], rpm: 2 };
  const p = caller({ rpm: 1 }, rules);
  const other: Principal = { ...caller({}, rules), keyId: "key_b", name: "bob" };
  limiter.admit(p);
  clock.advance(30_000);
  limiter.admit(other);
  clock.advance(1000);
  expect(retriesUntilAdmitted(limiter, p, clock)).toHaveLength(1);
});

test("an rpm lowered below the requests in its window: Retry-After is until fewer than the new limit are left", () => {
  const clock = manualClock();
  const limiter = new RateLimiter({ now: clock.now });
  for (let i = 0; i < 3; i++) {
    limiter.admit(caller({ rpm: 3 }));
    clock.advance(10_000);
  }
  expect(retriesUntilAdmitted(limiter, caller({ rpm: 1 }), clock)).toHaveLength(1);
});
