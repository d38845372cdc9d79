import type { GatewayLimit } from "../core/gateway-error.ts";

/**
 * Counters that several gateway nodes share (cluster/redis-counters.ts is the Redis one), so a
 * limit of 50 requests a minute is 50 over all nodes. The rate limiter admits through them while
 * they are available, and falls back to its own counters with each limit divided by `nodes()`
 * while they are not.
 */
export interface SharedCounters {
  available(): boolean;
  /**
   * Runs `listener` each time `available()` changes (Redis lost, Redis back), as it changes: what
   * admission is on switches then, not at the next request, which may come minutes later. Their
   * owner logs the change (cluster/cluster-redis.ts: one line a transition); a listener need not.
   */
  onAvailabilityChange?(listener: (available: boolean) => void): void;
  /** Live nodes last seen (at least 1): what the local fallback divides rpm and tpm by. */
  nodes(): number;
  /**
   * Atomically, over every scope: refuses when a budget is spent, then when tokens, then when
   * requests are at their limit (the first scope that binds); otherwise counts one request in
   * every scope with an rpm. Returns each scope's usage after the decision, for the headers.
   */
  admit(scopes: readonly SharedScope[], now: number): Promise<SharedAdmission>;
  /**
   * Counts an answer's tokens and spend, off the request path. Returns the call carrying this
   * record, on its way: settles once the counters have it (Redis answered that call), or once the
   * call failed or outlasted the counters' timeout; undefined when the record adds nothing shared
   * (no tpm, no cost), so an answer that counts nothing waits for no other answer's call.
   */
  record(
    tokens: readonly { subject: string; tokens: number }[],
    spend: readonly { subject: string; usd: number }[],
    now: number,
  ): Promise<void> | undefined;
}

export interface SharedScope {
  subject: string;
  spendSubject: string;
  rpm: number | undefined;
  tpm: number | undefined;
  budgetUsd: number | undefined;
  /**
   * This node's total for `spendSubject` (from storage): seeds a counter Redis has lost; one Redis
   * holds below it (a total the store was given beside Redis, as by a migration or an older node)
   * is checked as this total, never raised to it (a record on its way would then count twice).
   */
  spentLocally: number;
}

export interface ScopeUsage {
  requests: number;
  requestsResetMs: number;
  tokens: number;
  tokensResetMs: number;
}

export interface SharedAdmission {
  refused: {
    index: number;
    code: "rate_limited" | "budget_exceeded";
    waitMs: number;
    /** Which limit refused; without it, read from the usage (`sharedRefusalLimit`). */
    limit?: GatewayLimit;
  } | null;
  /** One per scope, in the order given. */
  usage: ScopeUsage[];
}
