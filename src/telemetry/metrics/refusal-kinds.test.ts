import { expect, test } from "bun:test";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { auditRecord } from "../../audit/testing/audit-record.ts";
import type { Principal } from "../../auth/principal.ts";
import { RateLimiter } from "../../auth/rate-limiter.ts";
import type { SharedAdmission } from "../../auth/shared-counters.ts";
import { SpendLedger } from "../../auth/spend-ledger.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { SignInLimit } from "../../http/admin-ui/sign-in-limit.ts";
import { ClientSlots } from "../../http/client-slots.ts";
import { tooManyLanes } from "../../http/responses-socket/waiting-turns.ts";
import { PriceBook } from "../../pricing/price-book.ts";
import { upstreamFailure } from "../../providers/http/upstream-failure.ts";
import { createMemorySpendStore } from "../../storage/memory/memory-spend-store.ts";
import { rejectionOf } from "../../testing/gateway-error-of.ts";
import { inBandError } from "../../translate/stream/in-band-error.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// Each 429 counts under the limit that refused it, as the refusals' producers make them: the
// gateway's own limits (rpm, tpm, budget, per-address cap, local and shared counters, a Responses
// WebSocket connection's waiting turns and lanes, single sign-on's steps per address) and an
// upstream's 429 relayed, which has the same code and a Retry-After but names no limit of ours.

const principal = (limits: Principal["limits"]): Principal => ({
  keyId: "key_a",
  name: "alice",
  tenant: "default",
  role: "user",
  models: ["*"],
  limits,
  via: "key",
});

const answered = (status: number, errorClass: string | null): AuditRecord =>
  auditRecord({ model: "m", route: null, upstreamModel: null, status, errorClass, ttfbMs: null });

async function refusalsCounted(errors: readonly GatewayError[]): Promise<Record<string, number>> {
  const metrics = new GatewayMetrics(quietSources(), () => "other");
  for (const error of errors) metrics.requestFinished(answered(error.status, error.code), error);
  const text = await metrics.scrape();
  return Object.fromEntries(
    [...text.matchAll(/^mindgw_rate_limit_refusals_total\{kind="([^"]+)"\} (\S+)$/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]),
  );
}

async function rpmRefusal(): Promise<GatewayError> {
  const limiter = new RateLimiter();
  const p = principal({ rpm: 1 });
  limiter.admit(p);
  return rejectionOf(() => limiter.admit(p));
}

async function tpmRefusal(): Promise<GatewayError> {
  const limiter = new RateLimiter();
  const p = principal({ tpm: 10 });
  limiter.admit(p);
  limiter.record(p, "m", { inputTokens: 10, outputTokens: 0 });
  return rejectionOf(() => limiter.admit(p));
}

async function budgetRefusal(): Promise<GatewayError> {
  const ledger = new SpendLedger({ store: createMemorySpendStore(), flushMs: 0 });
  await ledger.start();
  const prices = { m: { input_per_mtok: 1_000_000, output_per_mtok: 0 } };
  const limiter = new RateLimiter({
    spend: ledger,
    pricing: new PriceBook({ prices, providers: [], models: [] }),
  });
  const p = principal({ budgetUsd: 1 });
  limiter.record(p, "m", { inputTokens: 1, outputTokens: 0 });
  const error = await rejectionOf(() => limiter.admit(p, "m"));
  await ledger.close();
  return error;
}

/** A refusal through shared (Redis) counters, whose verdict names no limit but budget. */
function sharedRefusal(
  refused: NonNullable<SharedAdmission["refused"]>,
  tokens: number,
): Promise<GatewayError> {
  const limiter = new RateLimiter({
    shared: {
      available: () => true,
      nodes: () => 1,
      admit: async () => ({
        refused,
        usage: [{ requests: 5, requestsResetMs: 1000, tokens, tokensResetMs: 1000 }],
      }),
      record: () => undefined,
    },
  });
  return rejectionOf(() => limiter.admit(principal({ rpm: 5, tpm: 100 })));
}

function addressRefusal(): Promise<GatewayError> {
  const slots = new ClientSlots(() => 1);
  slots.enter("10.0.0.1");
  return rejectionOf(() => slots.enter("10.0.0.1"));
}

/** Single sign-on's steps past their bound from one address (sign-in-limit.ts). */
function signInRefusal(): Promise<GatewayError> {
  const limit = new SignInLimit(
    () => 0,
    () => 1,
  );
  limit.step("10.0.0.1");
  return rejectionOf(() => limit.step("10.0.0.1"));
}

const upstream429 = () =>
  upstreamFailure("oa", {
    status: 429,
    headers: new Headers({ "retry-after": "7" }),
    text: JSON.stringify({ error: { message: "slow down", type: "requests", code: "rate_limit_exceeded" } }),
  });

const streamed429 = () =>
  inBandError("anthropic", { type: "error", error: { type: "rate_limit_error", message: "slow down" } });

test("the gateway's own limits count by kind; an upstream's 429, whole or in a stream, counts as upstream", async () => {
  const errors = [
    await rpmRefusal(),
    await tpmRefusal(),
    await budgetRefusal(),
    await sharedRefusal({ index: 0, code: "rate_limited", waitMs: 500 }, 100),
    await sharedRefusal({ index: 0, code: "rate_limited", waitMs: 500 }, 3),
    await sharedRefusal({ index: 0, code: "budget_exceeded", waitMs: 500 }, 3),
    await addressRefusal(),
    await signInRefusal(),
    tooManyLanes().why,
    upstream429(),
    streamed429(),
  ];
  expect(errors.map((error) => [error.status, error.code])).toEqual([
    [429, "rate_limited"],
    [429, "rate_limited"],
    [429, "budget_exceeded"],
    [429, "rate_limited"],
    [429, "rate_limited"],
    [429, "budget_exceeded"],
    [429, "rate_limited"],
    [429, "rate_limited"],
    [429, "rate_limited"],
    [429, "rate_limited"],
    [429, "rate_limited"],
  ]);
  expect(await refusalsCounted(errors)).toEqual({ requests: 5, tokens: 2, budget: 2, upstream: 2 });
});

test("only 429 answers are refusals", async () => {
  const tooLarge = new GatewayError({ status: 413, code: "payload_too_large", message: "big" });
  expect(await refusalsCounted([tooLarge])).toEqual({ requests: 0, tokens: 0, budget: 0, upstream: 0 });
});
