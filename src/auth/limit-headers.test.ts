import { expect, test } from "bun:test";
import { type CounterView, limitHeaders } from "./limit-headers.ts";
import type { Scope } from "./limit-scope.ts";
import { MemoryCounterStore } from "./memory-counter-store.ts";

// The x-ratelimit-* headers are made on every limited request: each counter they need is read
// once (a read prunes and sums a window), never again for the header of the scope found.

const scope = (subject: string, limits: { rpm?: number; tpm?: number }): Scope => ({
  subject,
  spendSubject: subject,
  spendSubjects: [subject],
  rpm: limits.rpm,
  tpm: limits.tpm,
  budgetUsd: undefined,
  budgetPer: undefined,
  owner: subject,
  kind: "key",
});

/** A real counter store as of `now`, every read counted by the counter read. */
function countedView(counters: MemoryCounterStore, now: number) {
  const reads = { requestsUsed: 0, requestsResetMs: 0, tokensUsed: 0, tokensResetMs: 0 };
  const counted =
    (name: keyof typeof reads, read: (subject: string, now: number) => number) => (subject: string) => {
      reads[name]++;
      return read.call(counters, subject, now);
    };
  const view: CounterView = {
    requestsUsed: counted("requestsUsed", counters.requestsUsed),
    requestsResetMs: counted("requestsResetMs", counters.requestsResetMs),
    tokensUsed: counted("tokensUsed", counters.tokensUsed),
    tokensResetMs: counted("tokensResetMs", counters.tokensResetMs),
  };
  return { view, reads };
}

test("the scope with the least left is described, each scope's counters read once", () => {
  const counters = new MemoryCounterStore();
  const key = scope("key_a", { rpm: 100, tpm: 10_000 });
  const tenant = scope("tenant:acme", { rpm: 3, tpm: 50_000 });
  for (const at of [1_000, 2_000]) {
    counters.takeRequest(key.subject, 100, at);
    counters.takeRequest(tenant.subject, 3, at);
  }
  counters.addTokens(key.subject, 4_000, 2_000);
  const { view, reads } = countedView(counters, 10_000);
  expect(limitHeaders([key, tenant], view)).toEqual({
    "x-ratelimit-limit-requests": "3",
    "x-ratelimit-remaining-requests": "1",
    "x-ratelimit-reset-requests": "52s",
    "x-ratelimit-limit-tokens": "10000",
    "x-ratelimit-remaining-tokens": "6000",
    "x-ratelimit-reset-tokens": "52s",
  });
  expect(reads).toEqual({ requestsUsed: 2, requestsResetMs: 1, tokensUsed: 2, tokensResetMs: 1 });
});

test("on a tie the scope that frees up sooner is described, each one's reset read once", () => {
  const counters = new MemoryCounterStore();
  const key = scope("key_a", { rpm: 5 });
  const tenant = scope("tenant:acme", { rpm: 5 });
  counters.takeRequest(key.subject, 5, 1_000);
  counters.takeRequest(tenant.subject, 5, 5_000);
  const { view, reads } = countedView(counters, 10_000);
  expect(limitHeaders([tenant, key], view)).toEqual({
    "x-ratelimit-limit-requests": "5",
    "x-ratelimit-remaining-requests": "4",
    "x-ratelimit-reset-requests": "51s",
  });
  expect(reads).toEqual({ requestsUsed: 2, requestsResetMs: 2, tokensUsed: 0, tokensResetMs: 0 });
});

test("a refusal's headers describe the scope that refused, its counters read once", () => {
  const counters = new MemoryCounterStore();
  const key = scope("key_a", { rpm: 1 });
  const tenant = scope("tenant:acme", { rpm: 10 });
  counters.takeRequest(key.subject, 1, 1_000);
  counters.takeRequest(tenant.subject, 10, 1_000);
  const { view, reads } = countedView(counters, 10_000);
  expect(limitHeaders([key, tenant], view, {}, { scope: tenant, limit: "requests" })).toEqual({
    "x-ratelimit-limit-requests": "10",
    "x-ratelimit-remaining-requests": "9",
    "x-ratelimit-reset-requests": "51s",
  });
  expect(reads).toEqual({ requestsUsed: 1, requestsResetMs: 1, tokensUsed: 0, tokensResetMs: 0 });
});
