import { GatewayError } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";
import type { CounterStore } from "./counter-store.ts";
import { MemoryCounterStore } from "./memory-counter-store.ts";
import { limitSubject, type Principal } from "./principal.ts";
import { formatReset } from "./reset-format.ts";
import type { SpendLedger } from "./spend-ledger.ts";

/** The route that served an answer (`provider:<name>` or `worker:<name>`) and its upstream model. */
export interface Served {
  readonly route: string | null;
  readonly upstreamModel: string | null;
}

/** What answers cost (pricing/price-book.ts is the built-in one). */
export interface Pricing {
  cost(model: string, usage: Usage, served?: Served): number;
  /** False when some way of serving the model has no price: a budget could not bind on it. */
  isPriced(model: string): boolean;
}

const FREE: Pricing = { cost: () => 0, isPriced: () => true };

export interface RateLimiterOptions {
  /** Where spend is totalled; without one, budgets are not enforced. */
  spend?: SpendLedger;
  pricing?: Pricing;
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
  private pricing: Pricing;
  private readonly counters: CounterStore;
  private readonly now: () => number;

  constructor(private readonly options: RateLimiterOptions = {}) {
    this.pricing = options.pricing ?? FREE;
    this.counters = options.counters ?? new MemoryCounterStore();
    this.now = options.now ?? Date.now;
  }

  /** Swaps the prices (config reload). */
  setPricing(pricing: Pricing): void {
    this.pricing = pricing;
  }

  /**
   * Counts the request and returns the x-ratelimit-* headers for the successful response,
   * or throws 429 (`budget_exceeded`, then `rate_limited` for tokens, then requests). A
   * refused request is not counted, so retrying does not extend the wait.
   */
  admit(principal: Principal, model?: string): Readonly<Record<string, string>> {
    const { rpm, tpm, budgetUsd } = principal.limits;
    // A model with no price costs nothing, so a budget could never bind on it: refused.
    if (budgetUsd !== undefined && model !== undefined && !this.pricing.isPriced(model)) {
      throw new GatewayError({
        status: 403,
        code: "forbidden",
        message: `model ${model} has no price, so a budget cannot apply to it; an admin can set one under prices: or allow_unpriced: true on the model`,
      });
    }
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
  record(principal: Principal, model: string, usage: Usage, served?: Served): number {
    const subject = limitSubject(principal);
    const tokens = usage.inputTokens + usage.outputTokens;
    if (tokens > 0 && principal.limits.tpm !== undefined)
      this.counters.addTokens(subject, tokens, this.now());
    const cost = this.pricing.cost(model, usage, served);
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
