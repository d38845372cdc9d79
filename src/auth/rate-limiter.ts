import { GatewayError } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";
import type { CounterStore } from "./counter-store.ts";
import { MemoryCounterStore } from "./memory-counter-store.ts";
import { costOf, type PriceTable } from "./price-table.ts";
import { limitSubject, type Principal } from "./principal.ts";
import { formatReset } from "./reset-format.ts";
import type { SpendLedger } from "./spend-ledger.ts";

export interface RateLimiterOptions {
  /** Where spend is totalled; without one, budgets are not enforced. */
  spend?: SpendLedger;
  prices?: PriceTable;
  counters?: CounterStore;
  now?: () => number;
}

/** A budget never frees up by waiting; this tells well-behaved clients not to hammer. */
const BUDGET_RETRY_AFTER_S = 3600;
const NO_HEADERS: Readonly<Record<string, string>> = Object.freeze({});

/**
 * Per-principal limits: requests/min and tokens/min over a sliding minute, and a spend
 * budget. `admit` before calling a model (its headers go on the response), `record` once
 * the answer's usage is known (streams included). Structurally an http/front-door `Limits`.
 */
export class RateLimiter {
  private prices: PriceTable;
  private readonly counters: CounterStore;
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions = {}) {
    this.prices = options.prices ?? {};
    this.counters = options.counters ?? new MemoryCounterStore();
    this.now = options.now ?? Date.now;
  }

  /** Swaps the price table (config reload). */
  setPrices(prices: PriceTable): void {
    this.prices = prices;
  }

  /**
   * Counts the request and returns the x-ratelimit-* headers for the successful response,
   * or throws 429 (`budget_exceeded`, then `rate_limited` for tokens, then requests). A
   * refused request is not counted, so retrying does not extend the wait.
   */
  admit(principal: Principal): Readonly<Record<string, string>> {
    const { rpm, tpm, budgetUsd } = principal.limits;
    if (rpm === undefined && tpm === undefined && budgetUsd === undefined) return NO_HEADERS;
    const subject = limitSubject(principal);
    const now = this.now();
    if (budgetUsd !== undefined && this.options.spend && this.options.spend.spent(subject) >= budgetUsd) {
      throw this.refuse(principal, subject, now, "budget_exceeded", BUDGET_RETRY_AFTER_S * 1000);
    }
    if (tpm !== undefined && this.counters.tokensUsed(subject, now) >= tpm) {
      const wait = this.counters.tokensFreeInMs(subject, tpm, now);
      throw this.refuse(principal, subject, now, "rate_limited", wait);
    }
    if (rpm !== undefined) {
      const wait = this.counters.takeRequest(subject, rpm, now);
      if (wait > 0) throw this.refuse(principal, subject, now, "rate_limited", wait);
    }
    return this.headers(principal, subject, now);
  }

  /** Counts an answer's tokens and spend; returns its cost in USD (for the audit row). */
  record(principal: Principal, model: string, usage: Usage): number {
    const subject = limitSubject(principal);
    const tokens = usage.inputTokens + usage.outputTokens;
    if (tokens > 0 && principal.limits.tpm !== undefined)
      this.counters.addTokens(subject, tokens, this.now());
    const cost = costOf(this.prices, model, usage);
    if (cost > 0) this.options.spend?.add(subject, cost);
    return cost;
  }

  /** The x-ratelimit-* headers for this principal now; empty when it has no rpm/tpm. */
  headersFor(principal: Principal): Record<string, string> {
    return this.headers(principal, limitSubject(principal), this.now());
  }

  private headers(principal: Principal, subject: string, now: number): Record<string, string> {
    const { rpm, tpm } = principal.limits;
    const headers: Record<string, string> = {};
    if (rpm !== undefined) {
      headers["x-ratelimit-limit-requests"] = String(rpm);
      headers["x-ratelimit-remaining-requests"] = String(
        Math.max(0, rpm - this.counters.requestsUsed(subject, now)),
      );
      headers["x-ratelimit-reset-requests"] = formatReset(this.counters.requestsResetMs(subject, now));
    }
    if (tpm !== undefined) {
      headers["x-ratelimit-limit-tokens"] = String(tpm);
      headers["x-ratelimit-remaining-tokens"] = String(
        Math.max(0, tpm - this.counters.tokensUsed(subject, now)),
      );
      headers["x-ratelimit-reset-tokens"] = formatReset(this.counters.tokensResetMs(subject, now));
    }
    return headers;
  }

  private refuse(
    principal: Principal,
    subject: string,
    now: number,
    code: "rate_limited" | "budget_exceeded",
    waitMs: number,
  ): GatewayError {
    const headers = this.headers(principal, subject, now);
    headers["retry-after"] = String(Math.max(1, Math.ceil(waitMs / 1000)));
    const message =
      code === "budget_exceeded"
        ? "spend budget exhausted for this credential"
        : "rate limit reached for this credential; retry after the time in Retry-After";
    return new GatewayError({ status: 429, code, message, headers });
  }
}
