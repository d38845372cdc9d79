import type { GatewayLimit } from "../core/gateway-error.ts";
import { steadyClock } from "../core/steady-clock.ts";
import type { Usage } from "../core/usage.ts";
import { type AdmitLocal, ClusterAdmission, dividedAll } from "./cluster-admission.ts";
import type { CounterStore } from "./counter-store.ts";
import {
  type CounterView,
  chargedTokenHeaders,
  limitHeaders,
  limitRefusal,
  NO_HEADERS,
} from "./limit-headers.ts";
import { assertPriced, FREE, type Pricing, type Served } from "./limit-pricing.ts";
import { budgetSpent, budgetWaitMs, limitScopes, type Scope } from "./limit-scope.ts";
import { MemoryCounterStore } from "./memory-counter-store.ts";
import type { Policy, SharedCharge } from "./policy.ts";
import type { Principal } from "./principal.ts";
import type { SharedCounters } from "./shared-counters.ts";
import type { SpendLedger } from "./spend-ledger.ts";

export type { Pricing, Served } from "./limit-pricing.ts";
export { tenantSpendSubject, tenantSubject } from "./limit-scope.ts";

export interface RateLimiterOptions {
  /** Where spend is totalled; without one, budgets are not enforced. */
  spend?: SpendLedger;
  pricing?: Pricing;
  counters?: CounterStore;
  /** Counters shared by several nodes; while they are unavailable, `counters` with divided limits. */
  shared?: SharedCounters;
  /**
   * Told when admission switches between the shared counters and the local fallback while they
   * read available (to it on a failed call, back on a shared answer: cluster-admission.ts); their
   * going away and coming back are said by their owner (cluster/cluster-redis.ts).
   */
  onFallback?: (local: boolean) => void;
  /** The wall clock: budget periods, prices by day, the shared counters' stamps. */
  now?: () => number;
  /**
   * The clock this node's minute windows run on: one an NTP step never moves (core/steady-clock.ts),
   * so a step forward empties no window and a step back holds no caller for its length. Default:
   * `now` when a test injects one, else the steady clock.
   */
  windowClock?: () => number;
}

/**
 * Per-principal limits: requests/min and tokens/min over a sliding minute, and a spend
 * budget. `admit` before calling a model (its headers go on the response), `record` once
 * the answer's usage is known (streams included). Structurally an http/front-door `Limits`.
 * On a cluster node, admission goes through the shared counters (cluster-admission.ts).
 */
export class RateLimiter {
  private pricing: Pricing;
  private readonly counters: CounterStore;
  private readonly view: LocalView;
  private readonly now: () => number;
  private readonly windowClock: () => number;
  private readonly cluster: ClusterAdmission | undefined;

  constructor(private readonly options: RateLimiterOptions = {}) {
    this.pricing = options.pricing ?? FREE;
    this.counters = options.counters ?? new MemoryCounterStore();
    this.view = new LocalView(this.counters);
    this.now = options.now ?? Date.now;
    this.windowClock = options.windowClock ?? options.now ?? steadyClock;
    const shared = options.shared;
    const admitLocal: AdmitLocal = (principal, model, share, pricing) =>
      this.admitLocal(principal, model, share, pricing);
    this.cluster = shared
      ? new ClusterAdmission(shared, admitLocal, this.now, options.spend, options.onFallback)
      : undefined;
  }

  /** Swaps the prices (config reload). */
  setPricing(pricing: Pricing): void {
    this.pricing = pricing;
  }

  /**
   * The limiter as one config version sees it: the same counters and spend, that version's
   * prices. A request admitted under one version is charged at its prices, whatever a reload does.
   */
  priced(pricing: Pricing): Pick<Policy, "admit" | "record"> {
    return {
      admit: (principal, model, into) => this.admit(principal, model, pricing, into),
      record: (principal, model, usage, served, answer) =>
        this.record(principal, model, usage, served, pricing, answer),
    };
  }

  /**
   * Counts the request and returns the x-ratelimit-* headers for the successful response,
   * or throws 429 (`budget_exceeded`, else `rate_limited` for the spent per-minute limit that
   * frees up last, so that its Retry-After is when the request passes). A
   * refused request is not counted, so retrying does not extend the wait. The key's limits and
   * its tenant's (counted over all the tenant's keys) both apply; a request refused by one is
   * counted by neither, so a tenant's rpm is exact however its keys share it.
   */
  admit(
    principal: Principal,
    model?: string,
    pricing: Pricing = this.pricing,
    into?: Record<string, string>,
  ): Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>> {
    const cluster = this.cluster;
    if (cluster) return cluster.admit(principal, model, pricing);
    return this.admitLocal(principal, model, 1, pricing, into);
  }

  /** True while a cluster node admits on its own counters (shared counters unavailable). */
  get isFallingBack(): boolean {
    return this.cluster?.isFallingBack ?? false;
  }

  /**
   * Admission on this node's counters. `share` > 1 on a cluster node whose shared counters are
   * away: each node then allows its share of rpm and tpm (the limit over the live nodes).
   */
  private admitLocal(
    principal: Principal,
    model: string | undefined,
    share: number,
    pricing: Pricing,
    into?: Record<string, string>,
  ): Readonly<Record<string, string>> {
    const own = limitScopes(principal, this.now);
    // One node alone (the usual case) takes its scopes as they are: no copy per request.
    const scopes = share > 1 ? dividedAll(own, share) : own;
    assertPriced(scopes, model, pricing);
    if (scopes.length === 0) return NO_HEADERS;
    // The minute's windows on the window clock; a budget's period, only read when it refuses, on the wall's.
    const now = this.windowClock();
    const view = this.localView(now);
    for (const scope of scopes) {
      if (
        scope.budgetUsd !== undefined &&
        this.options.spend &&
        budgetSpent(this.options.spend.spent(scope.spendSubject), scope.budgetUsd)
      )
        throw limitRefusal(scopes, scope, view, "budget", budgetWaitMs(scope, this.now()));
    }
    // Every spent per-minute limit is weighed, and the refusal names the one that frees up last
    // (tokens before requests on a tie): Retry-After is then when the request passes, where the
    // first one found (a key's tokens, free in 29 s) could send it back to its tenant's (in 59 s).
    let refusing: Scope | undefined;
    let refusedFor: GatewayLimit = "tokens";
    let waitMs = 0;
    for (const scope of scopes) {
      if (scope.tpm === undefined || this.counters.tokensUsed(scope.subject, now) < scope.tpm) continue;
      const wait = this.counters.tokensFreeInMs(scope.subject, scope.tpm, now);
      if (refusing !== undefined && wait <= waitMs) continue;
      refusing = scope;
      waitMs = wait;
    }
    // Check every request window before counting in any: admission is synchronous, so nothing
    // can take a slot between the check and the count.
    for (const scope of scopes) {
      if (scope.rpm === undefined || this.counters.requestsUsed(scope.subject, now) < scope.rpm) continue;
      const wait = this.counters.takeRequest(scope.subject, scope.rpm, now);
      if (refusing !== undefined && wait <= waitMs) continue;
      refusing = scope;
      refusedFor = "requests";
      waitMs = wait;
    }
    if (refusing !== undefined) throw limitRefusal(scopes, refusing, view, refusedFor, waitMs);
    for (const scope of scopes) {
      if (scope.rpm === undefined) continue;
      const wait = this.counters.takeRequest(scope.subject, scope.rpm, now);
      if (wait > 0) throw limitRefusal(scopes, scope, view, "requests", wait);
    }
    return limitHeaders(scopes, view, into);
  }

  /**
   * Counts an answer's tokens and spend; returns its cost in USD (for the audit row), with the
   * shared counters' call carrying them where they add something there (a cluster node). `answer`:
   * a whole (non-stream) answer's headers, not sent yet (`Policy.record`), whose tokens family is
   * brought up to date with this charge. Not on a cluster node: admission read the shared
   * counters, which this node's own do not stand for, so there it says what admission read.
   */
  record(
    principal: Principal,
    model: string,
    usage: Usage,
    served?: Served,
    pricing: Pricing = this.pricing,
    answer?: Record<string, string>,
  ): number | SharedCharge {
    const tokens = usage.inputTokens + usage.outputTokens;
    // One wall reading for the price's day and the shared counters' stamp.
    const now = this.now();
    const cost = pricing.cost(model, usage, served, now);
    const scopes = limitScopes(principal, this.now, true);
    const spend = this.options.spend;
    // The tokens' minute, on the window clock; read only when a tpm counts them (NaN: not yet).
    let windowNow = Number.NaN;
    for (const scope of scopes) {
      // Local counters are kept even on a cluster node: they are the fallback's starting point.
      if (tokens > 0 && scope.tpm !== undefined) {
        if (Number.isNaN(windowNow)) windowNow = this.windowClock();
        this.counters.addTokens(scope.subject, tokens, windowNow);
      }
      if (cost > 0 && spend) for (const subject of scope.spendSubjects) spend.add(subject, cost);
    }
    const cluster = this.cluster;
    if (cluster) {
      const shared = cluster.record(scopes, tokens, cost, now);
      return shared ? { costUsd: cost, counted: shared } : cost;
    }
    // Whether a tpm counted these tokens: only then are the headers read again (no tpm, no work).
    if (!Number.isNaN(windowNow) && answer !== undefined)
      chargedTokenHeaders(scopes, this.localView(windowNow), answer);
    return cost;
  }

  /** The x-ratelimit-* headers for this principal now; empty when it has no rpm/tpm. */
  headersFor(principal: Principal): Record<string, string> {
    return limitHeaders(limitScopes(principal, this.now), this.localView(this.windowClock()));
  }

  /**
   * This node's counters as of `now`. Admission and the headers are synchronous, so one view
   * serves every request in turn: set to the request's `now`, read, done before the next.
   */
  private localView(now: number): CounterView {
    this.view.now = now;
    return this.view;
  }
}

/** This node's counters as of `now`: one object per limiter, not four closures a request. */
class LocalView implements CounterView {
  now = 0;
  constructor(private readonly counters: CounterStore) {}
  requestsUsed(subject: string): number {
    return this.counters.requestsUsed(subject, this.now);
  }
  requestsResetMs(subject: string): number {
    return this.counters.requestsResetMs(subject, this.now);
  }
  tokensUsed(subject: string): number {
    return this.counters.tokensUsed(subject, this.now);
  }
  tokensResetMs(subject: string): number {
    return this.counters.tokensResetMs(subject, this.now);
  }
}
