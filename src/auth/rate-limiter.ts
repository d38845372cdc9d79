import { GatewayError } from "../core/gateway-error.ts";
import type { Usage } from "../core/usage.ts";
import type { CounterStore } from "./counter-store.ts";
import { MemoryCounterStore } from "./memory-counter-store.ts";
import { limitSubject, type Principal } from "./principal.ts";
import { formatReset } from "./reset-format.ts";
import type { ScopeUsage, SharedCounters } from "./shared-counters.ts";
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
  /** Counters shared by several nodes; while they are unavailable, `counters` with divided limits. */
  shared?: SharedCounters;
  /** Told when admission switches between the shared counters and the local fallback. */
  onFallback?: (local: boolean) => void;
  now?: () => number;
}

/** Usage as the headers and refusals read it, from local counters or a shared admission. */
interface CounterView {
  requestsUsed(subject: string): number;
  requestsResetMs(subject: string): number;
  tokensUsed(subject: string): number;
  tokensResetMs(subject: string): number;
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
  private fallingBack = false;

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
   * The limiter as one config version sees it: the same counters and spend, that version's
   * prices. A request admitted under one version is charged at its prices, whatever a reload does.
   */
  priced(pricing: Pricing): Pick<RateLimiter, "admit" | "record"> {
    return {
      admit: (principal, model) => this.admit(principal, model, pricing),
      record: (principal, model, usage, served) => this.record(principal, model, usage, served, pricing),
    };
  }

  /**
   * Counts the request and returns the x-ratelimit-* headers for the successful response,
   * or throws 429 (`budget_exceeded`, then `rate_limited` for tokens, then requests). A
   * refused request is not counted, so retrying does not extend the wait. The key's limits and
   * its tenant's (counted over all the tenant's keys) both apply; a request refused by one is
   * counted by neither, so a tenant's rpm is exact however its keys share it.
   */
  admit(
    principal: Principal,
    model?: string,
    pricing: Pricing = this.pricing,
  ): Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>> {
    const shared = this.options.shared;
    if (shared?.available()) return this.admitOnCluster(shared, principal, model, pricing);
    if (shared) this.fallback(true);
    return this.admitLocal(principal, model, shared?.nodes() ?? 1, pricing);
  }

  // The closures the cluster paths need are made in methods of their own, called only there:
  // a closure in `admit`, `admitLocal` or `record` would make a scope object on every request.

  private admitOnCluster(
    shared: SharedCounters,
    principal: Principal,
    model: string | undefined,
    pricing: Pricing,
  ): Promise<Readonly<Record<string, string>>> {
    this.fallback(false);
    return this.admitShared(shared, principal, model, pricing).catch((error: unknown) => {
      // A refusal is the answer; anything else means Redis failed mid-call (gone, too slow):
      // this request is admitted locally, like the ones after it while Redis is away.
      if (error instanceof GatewayError) throw error;
      this.fallback(true);
      return this.admitLocal(principal, model, shared.nodes(), pricing);
    });
  }

  private fallback(local: boolean): void {
    if (this.fallingBack === local) return;
    this.fallingBack = local;
    this.options.onFallback?.(local);
  }

  /** True while a cluster node admits on its own counters (shared counters unavailable). */
  get isFallingBack(): boolean {
    return this.fallingBack;
  }

  private async admitShared(
    shared: SharedCounters,
    principal: Principal,
    model: string | undefined,
    pricing: Pricing,
  ): Promise<Readonly<Record<string, string>>> {
    const scopes = this.scopes(principal);
    this.assertPriced(scopes, model, pricing);
    if (scopes.length === 0) return NO_HEADERS;
    const { refused, usage } = await shared.admit(
      scopes.map((scope) => ({
        subject: scope.subject,
        spendSubject: scope.spendSubject,
        rpm: scope.rpm,
        tpm: scope.tpm,
        budgetUsd: scope.budgetUsd,
        spentLocally: this.options.spend?.spent(scope.spendSubject) ?? 0,
      })),
      this.now(),
    );
    const view = sharedView(scopes, usage);
    const scope = refused ? scopes[refused.index] : undefined;
    if (refused && scope) throw this.refuse(scopes, scope, view, refused.code, refused.waitMs);
    return this.headers(scopes, view);
  }

  private assertPriced(scopes: readonly Scope[], model: string | undefined, pricing: Pricing): void {
    // A model with no price costs nothing, so a budget (the key's or its tenant's) could never
    // bind on it: refused.
    if (model !== undefined && firstLimiting(scopes, "budgetUsd") && !pricing.isPriced(model)) {
      throw new GatewayError({
        status: 403,
        code: "forbidden",
        message: `model ${model} has no price, so a budget cannot apply to it; an admin can set one under prices: or allow_unpriced: true on the model`,
      });
    }
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
  ): Readonly<Record<string, string>> {
    const own = this.scopes(principal);
    // One node alone (the usual case) takes its scopes as they are: no copy per request.
    const scopes = share > 1 ? dividedAll(own, share) : own;
    this.assertPriced(scopes, model, pricing);
    if (scopes.length === 0) return NO_HEADERS;
    const now = this.now();
    const view = this.localView(now);
    for (const scope of scopes) {
      if (
        scope.budgetUsd !== undefined &&
        this.options.spend &&
        this.options.spend.spent(scope.spendSubject) >= scope.budgetUsd
      )
        throw this.refuse(scopes, scope, view, "budget_exceeded", BUDGET_RETRY_AFTER_S * 1000);
    }
    for (const scope of scopes) {
      if (scope.tpm !== undefined && this.counters.tokensUsed(scope.subject, now) >= scope.tpm)
        throw this.refuse(
          scopes,
          scope,
          view,
          "rate_limited",
          this.counters.tokensFreeInMs(scope.subject, scope.tpm, now),
        );
    }
    // Check every request window before counting in any: admission is synchronous, so nothing
    // can take a slot between the check and the count.
    for (const scope of scopes) {
      if (scope.rpm !== undefined && this.counters.requestsUsed(scope.subject, now) >= scope.rpm)
        throw this.refuse(
          scopes,
          scope,
          view,
          "rate_limited",
          this.counters.takeRequest(scope.subject, scope.rpm, now),
        );
    }
    for (const scope of scopes) {
      if (scope.rpm === undefined) continue;
      const wait = this.counters.takeRequest(scope.subject, scope.rpm, now);
      if (wait > 0) throw this.refuse(scopes, scope, view, "rate_limited", wait);
    }
    return this.headers(scopes, view);
  }

  /** Counts an answer's tokens and spend; returns its cost in USD (for the audit row). */
  record(
    principal: Principal,
    model: string,
    usage: Usage,
    served?: Served,
    pricing: Pricing = this.pricing,
  ): number {
    const tokens = usage.inputTokens + usage.outputTokens;
    const cost = pricing.cost(model, usage, served);
    const now = this.now();
    const scopes = this.scopes(principal, true);
    for (const scope of scopes) {
      // Local counters are kept even on a cluster node: they are the fallback's starting point.
      if (tokens > 0 && scope.tpm !== undefined) this.counters.addTokens(scope.subject, tokens, now);
      if (cost > 0) this.options.spend?.add(scope.spendSubject, cost);
    }
    const shared = this.options.shared;
    if (shared) recordShared(shared, scopes, tokens, cost, now);
    return cost;
  }

  /** The x-ratelimit-* headers for this principal now; empty when it has no rpm/tpm. */
  headersFor(principal: Principal): Record<string, string> {
    return this.headers(this.scopes(principal), this.localView(this.now()));
  }

  private localView(now: number): CounterView {
    return new LocalView(this.counters, now);
  }

  /**
   * Who the request counts against: the key (or JWT subject), then its tenant. With `all`, a
   * scope without limits is kept so that spend is still totalled (per tenant usage, budgets
   * added later by a reload).
   */
  private scopes(principal: Principal, all = false): Scope[] {
    const scopes: Scope[] = [];
    const key = limitSubject(principal);
    const { rpm, tpm, budgetUsd } = principal.limits;
    if (all || rpm !== undefined || tpm !== undefined || budgetUsd !== undefined)
      scopes.push({ subject: key, spendSubject: key, rpm, tpm, budgetUsd, owner: "this credential" });
    const rules = principal.tenantRules;
    if (rules && (all || rules.rpm !== undefined || rules.tpm !== undefined || rules.budget !== undefined)) {
      const subject = tenantSubject(principal.tenant);
      scopes.push({
        subject,
        spendSubject: tenantSpendSubject(principal.tenant, rules.budget?.per ?? "month", this.now()),
        rpm: rules.rpm,
        tpm: rules.tpm,
        budgetUsd: rules.budget?.usd,
        owner: `tenant "${principal.tenant}"`,
      });
    }
    return scopes;
  }

  /** Each header family from the first scope that has that limit (the key's own before its tenant's). */
  private headers(scopes: readonly Scope[], view: CounterView): Record<string, string> {
    const headers: Record<string, string> = {};
    const requests = firstLimiting(scopes, "rpm");
    if (requests?.rpm !== undefined) {
      headers["x-ratelimit-limit-requests"] = String(requests.rpm);
      headers["x-ratelimit-remaining-requests"] = String(
        Math.max(0, requests.rpm - view.requestsUsed(requests.subject)),
      );
      headers["x-ratelimit-reset-requests"] = formatReset(view.requestsResetMs(requests.subject));
    }
    const tokens = firstLimiting(scopes, "tpm");
    if (tokens?.tpm !== undefined) {
      headers["x-ratelimit-limit-tokens"] = String(tokens.tpm);
      headers["x-ratelimit-remaining-tokens"] = String(
        Math.max(0, tokens.tpm - view.tokensUsed(tokens.subject)),
      );
      headers["x-ratelimit-reset-tokens"] = formatReset(view.tokensResetMs(tokens.subject));
    }
    return headers;
  }

  private refuse(
    scopes: readonly Scope[],
    scope: Scope,
    view: CounterView,
    code: "rate_limited" | "budget_exceeded",
    waitMs: number,
  ): GatewayError {
    // The headers describe the limit that refused, so Retry-After and the remaining counts agree.
    const headers = this.headers([scope, ...scopes.filter((other) => other !== scope)], view);
    headers["retry-after"] = String(Math.max(1, Math.ceil(waitMs / 1000)));
    const message =
      code === "budget_exceeded"
        ? `spend budget exhausted for ${scope.owner}`
        : `rate limit reached for ${scope.owner}; retry after the time in Retry-After`;
    return new GatewayError({ status: 429, code, message, headers });
  }
}

/** One set of limits a request counts against. */
interface Scope {
  /** Where requests and tokens are counted. */
  subject: string;
  /** Where spend is totalled: for a tenant, one subject per budget period. */
  spendSubject: string;
  rpm: number | undefined;
  tpm: number | undefined;
  budgetUsd: number | undefined;
  /** Names the scope in a refusal. */
  owner: string;
}

/** Requests and tokens of every key of a tenant are counted under this subject. */
export const tenantSubject = (tenant: string): string => `tenant:${tenant}`;

/** Spend of a tenant in the budget period containing `at` (UTC): `tenant:team-a:2026-11`. */
export function tenantSpendSubject(tenant: string, per: "day" | "month", at: number): string {
  const iso = new Date(at).toISOString();
  return `tenant:${tenant}:${per === "day" ? iso.slice(0, 10) : iso.slice(0, 7)}`;
}

/** Every scope as one node's share of `share` nodes (a cluster node whose shared counters are away). */
function dividedAll(scopes: readonly Scope[], share: number): Scope[] {
  return scopes.map((scope) => dividedBy(scope, share));
}

/** An answer's tokens and spend, counted in the shared counters too (a cluster node). */
function recordShared(
  shared: SharedCounters,
  scopes: readonly Scope[],
  tokens: number,
  cost: number,
  now: number,
): void {
  shared.record(
    tokens > 0 ? scopes.filter((s) => s.tpm !== undefined).map((s) => ({ subject: s.subject, tokens })) : [],
    cost > 0 ? scopes.map((s) => ({ subject: s.spendSubject, usd: cost })) : [],
    now,
  );
}

/** A scope's rpm and tpm as one node's share of `share` nodes (at least 1 each). */
function dividedBy(scope: Scope, share: number): Scope {
  if (share <= 1) return scope;
  const part = (limit: number | undefined) =>
    limit === undefined ? undefined : Math.max(1, Math.floor(limit / share));
  return { ...scope, rpm: part(scope.rpm), tpm: part(scope.tpm) };
}

/** The usage a shared admission returned, by subject. */
function sharedView(scopes: readonly Scope[], usage: readonly ScopeUsage[]): CounterView {
  const of = (subject: string) => usage[scopes.findIndex((scope) => scope.subject === subject)];
  return {
    requestsUsed: (subject) => of(subject)?.requests ?? 0,
    requestsResetMs: (subject) => of(subject)?.requestsResetMs ?? 0,
    tokensUsed: (subject) => of(subject)?.tokens ?? 0,
    tokensResetMs: (subject) => of(subject)?.tokensResetMs ?? 0,
  };
}

/** The first scope with this limit (the key's own before its tenant's); a loop, no closure per request. */
function firstLimiting(scopes: readonly Scope[], limit: "rpm" | "tpm" | "budgetUsd"): Scope | undefined {
  for (const scope of scopes) if (scope[limit] !== undefined) return scope;
  return undefined;
}

/** This node's counters as of `now`: one object per request, not four closures. */
class LocalView implements CounterView {
  constructor(
    private readonly counters: CounterStore,
    private readonly now: number,
  ) {}
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
