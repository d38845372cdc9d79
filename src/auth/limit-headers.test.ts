import { expect, test } from "bun:test";
import { type CounterView, chargedTokenHeaders, limitHeaders, limitRefusal } from "./limit-headers.ts";
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

test("a tie's reset read, then a scope with less left: the header says the later scope's own reset", () => {
  const counters = new MemoryCounterStore();
  const a = scope("key_a", { rpm: 5 });
  const b = scope("key_b", { rpm: 5 });
  const c = scope("tenant:acme", { rpm: 5 });
  counters.takeRequest(a.subject, 5, 20_000);
  counters.takeRequest(b.subject, 5, 25_000);
  for (let i = 0; i < 4; i++) counters.takeRequest(c.subject, 5, 0);
  const { view } = countedView(counters, 30_000);
  // a and b tie (4 left; a frees up at 50 s, b at 55 s), then c has 1 left and frees up at 30 s.
  expect(limitHeaders([a, b, c], view)).toEqual({
    "x-ratelimit-limit-requests": "5",
    "x-ratelimit-remaining-requests": "1",
    "x-ratelimit-reset-requests": "30s",
  });
});

test("a refusal's headers describe the scope that refused, its reset the wait Retry-After says, its counters read once", () => {
  const counters = new MemoryCounterStore();
  const key = scope("key_a", { rpm: 1 });
  const tenant = scope("tenant:acme", { rpm: 10 });
  counters.takeRequest(key.subject, 1, 1_000);
  counters.takeRequest(tenant.subject, 10, 1_000);
  const { view, reads } = countedView(counters, 10_000);
  expect(limitHeaders([key, tenant], view, {}, { scope: tenant, limit: "requests", waitMs: 51_000 })).toEqual(
    {
      "x-ratelimit-limit-requests": "10",
      "x-ratelimit-remaining-requests": "9",
      "x-ratelimit-reset-requests": "51s",
    },
  );
  expect(reads).toEqual({ requestsUsed: 1, requestsResetMs: 0, tokensUsed: 0, tokensResetMs: 0 });
});

test("a refusal's reset is when the refused limit admits again (Retry-After), not when its window empties", () => {
  const counters = new MemoryCounterStore();
  const key = scope("key_a", { rpm: 2, tpm: 2_000 });
  // Two requests of 1,500 tokens, 5 s apart: the first leaving frees both limits.
  for (const at of [1_000, 6_000]) {
    counters.takeRequest(key.subject, 2, at);
    counters.addTokens(key.subject, 1_500, at);
  }
  const now = 7_000;
  const { view } = countedView(counters, now);
  const requestsWait = counters.takeRequest(key.subject, 2, now);
  const tokensWait = counters.tokensFreeInMs(key.subject, 2_000, now);
  expect([requestsWait, tokensWait]).toEqual([54_000, 54_000]);
  const refusal = limitRefusal([key], key, view, "tokens", tokensWait);
  expect(refusal.headers).toMatchObject({
    "retry-after": "54",
    "x-ratelimit-remaining-tokens": "0",
    "x-ratelimit-reset-tokens": "54s",
    // The family that did not refuse says when its window empties, as on any answer.
    "x-ratelimit-remaining-requests": "0",
    "x-ratelimit-reset-requests": "59s",
  });
  expect(limitRefusal([key], key, view, "requests", requestsWait).headers).toMatchObject({
    "retry-after": "54",
    "x-ratelimit-reset-requests": "54s",
  });
});

test("a refusal's reset is the wait Retry-After says, in whole seconds and at least one: never a wait under a second beside Retry-After: 1", () => {
  const counters = new MemoryCounterStore();
  const key = scope("key_a", { rpm: 1, tpm: 100 });
  counters.takeRequest(key.subject, 1, 0);
  counters.addTokens(key.subject, 100, 0);
  const { view } = countedView(counters, 59_660);
  // 340 ms left of the window; a cluster's verdict may say 0, floored; 54.001 s is 55 s.
  for (const [waitMs, seconds] of [
    [340, 1],
    [0, 1],
    [54_001, 55],
  ] as const)
    for (const limit of ["requests", "tokens"] as const) {
      const headers = limitRefusal([key], key, view, limit, waitMs).headers;
      expect({
        waitMs,
        limit,
        retryAfter: headers["retry-after"],
        reset: headers[`x-ratelimit-reset-${limit}`],
      }).toEqual({
        waitMs,
        limit,
        retryAfter: String(seconds),
        reset: `${seconds}s`,
      });
    }
});

test("a whole answer's tokens family counts the answer's own tokens once they are charged", () => {
  const counters = new MemoryCounterStore();
  const key = scope("key_a", { rpm: 10, tpm: 2_000 });
  const tenant = scope("tenant:acme", { tpm: 100_000 });
  const headers = limitHeaders([key, tenant], countedView(counters, 1_000).view);
  expect(headers).toMatchObject({
    "x-ratelimit-remaining-tokens": "2000",
    "x-ratelimit-reset-tokens": "0ms",
  });
  counters.addTokens(key.subject, 1_500, 1_000);
  counters.addTokens(tenant.subject, 1_500, 1_000);
  const { view, reads } = countedView(counters, 1_000);
  chargedTokenHeaders([key, tenant], view, headers);
  expect(headers).toEqual({
    "x-ratelimit-limit-requests": "10",
    "x-ratelimit-remaining-requests": "10",
    "x-ratelimit-reset-requests": "0ms",
    "x-ratelimit-limit-tokens": "2000",
    "x-ratelimit-remaining-tokens": "500",
    "x-ratelimit-reset-tokens": "1m0s",
  });
  // The tokens family alone is read again.
  expect(reads).toEqual({ requestsUsed: 0, requestsResetMs: 0, tokensUsed: 2, tokensResetMs: 1 });
});
