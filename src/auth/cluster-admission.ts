import { GatewayError } from "../core/gateway-error.ts";
import {
  type CounterView,
  limitHeaders,
  limitRefusal,
  NO_HEADERS,
  sharedRefusalLimit,
} from "./limit-headers.ts";
import { assertPriced, type Pricing } from "./limit-pricing.ts";
import { budgetWaitMs, limitScopes, type Scope } from "./limit-scope.ts";
import type { Principal } from "./principal.ts";
import type { ScopeUsage, SharedCounters } from "./shared-counters.ts";
import type { SpendLedger } from "./spend-ledger.ts";

/** Admission on this node's own counters, each limit as its share of `share` nodes. */
export type AdmitLocal = (
  principal: Principal,
  model: string | undefined,
  share: number,
  pricing: Pricing,
) => Readonly<Record<string, string>>;

/**
 * A cluster node's admission: through the counters the nodes share while they are available, and
 * on this node's own counters with divided limits while they are not (or fail mid-call). Made
 * only on a cluster node, so its closures never cost a single node anything.
 */
export class ClusterAdmission {
  private fallingBack = false;

  constructor(
    private readonly shared: SharedCounters,
    private readonly admitLocal: AdmitLocal,
    private readonly now: () => number,
    private readonly spend: SpendLedger | undefined,
    /**
     * Told when admission switches between the shared counters and the local fallback while they
     * read available: to the fallback when a call to them fails and leaves them so (a reply
     * error), back once they answer an admission. Not when their availability changes (their link
     * lost or back, a first admission while it is down), which their owner says as it changes
     * (cluster/cluster-redis.ts): one line a transition.
     */
    private readonly onFallback: ((local: boolean) => void) | undefined,
  ) {
    shared.onAvailabilityChange?.((available) => this.switchTo(!available));
  }

  admit(
    principal: Principal,
    model: string | undefined,
    pricing: Pricing,
  ): Readonly<Record<string, string>> | Promise<Readonly<Record<string, string>>> {
    const shared = this.shared;
    if (shared.available()) return this.admitOnCluster(principal, model, pricing);
    this.switchTo(true);
    return this.admitLocal(principal, model, shared.nodes(), pricing);
  }

  /** True while this node admits on its own counters (shared counters unavailable). */
  get isFallingBack(): boolean {
    return this.fallingBack;
  }

  /** An answer's tokens and spend, counted in the shared counters too: their call, as `SharedCounters.record` returns it. */
  record(scopes: readonly Scope[], tokens: number, cost: number, now: number): Promise<void> | undefined {
    return this.shared.record(
      tokens > 0
        ? scopes.filter((s) => s.tpm !== undefined).map((s) => ({ subject: s.subject, tokens }))
        : [],
      // Every subject the ledger adds to: a tenant's counter of the period not in force, which Redis
      // keeps once a budget seeded it, is still whole when a reload puts that period back.
      cost > 0 ? scopes.flatMap((s) => s.spendSubjects.map((subject) => ({ subject, usd: cost }))) : [],
      now,
    );
  }

  private admitOnCluster(
    principal: Principal,
    model: string | undefined,
    pricing: Pricing,
  ): Promise<Readonly<Record<string, string>>> {
    // Not back on the shared counters yet: a Redis that is stopped still reads available until a
    // call to it times out (cluster/redis-link.ts), so only its answer says so (`admitShared`).
    return this.admitShared(principal, model, pricing).catch((error: unknown) => {
      // A refusal is the answer; anything else means Redis failed mid-call (gone, too slow):
      // this request is admitted locally, like the ones after it while Redis is away.
      if (error instanceof GatewayError) throw error;
      // A call that took the link down (timed out, connection lost) was said as the link went.
      if (this.shared.available()) this.fallback(true);
      else this.switchTo(true);
      return this.admitLocal(principal, model, this.shared.nodes(), pricing);
    });
  }

  /** Switches admission, and says so (`onFallback`). */
  private fallback(local: boolean): void {
    if (this.switchTo(local)) this.onFallback?.(local);
  }

  /** Switches admission; true when it changed. */
  private switchTo(local: boolean): boolean {
    if (this.fallingBack === local) return false;
    this.fallingBack = local;
    return true;
  }

  private async admitShared(
    principal: Principal,
    model: string | undefined,
    pricing: Pricing,
  ): Promise<Readonly<Record<string, string>>> {
    const scopes = limitScopes(principal, this.now);
    assertPriced(scopes, model, pricing);
    if (scopes.length === 0) return NO_HEADERS;
    const { refused, usage } = await this.shared.admit(
      scopes.map((scope) => ({
        subject: scope.subject,
        spendSubject: scope.spendSubject,
        rpm: scope.rpm,
        tpm: scope.tpm,
        budgetUsd: scope.budgetUsd,
        spentLocally: this.spend?.spent(scope.spendSubject) ?? 0,
      })),
      this.now(),
    );
    // Redis answered (admitted or refused): admission is on the shared counters again.
    this.fallback(false);
    const view = sharedView(scopes, usage);
    const scope = refused ? scopes[refused.index] : undefined;
    if (refused && scope) {
      const limit = refused.limit ?? sharedRefusalLimit(refused.code, scope, view);
      // The shared counters know when a minute frees up; when a budget's period ends is the scope's.
      const waitMs = limit === "budget" ? budgetWaitMs(scope, this.now()) : refused.waitMs;
      throw limitRefusal(scopes, scope, view, limit, waitMs);
    }
    return limitHeaders(scopes, view);
  }
}

/** Every scope as one node's share of `share` nodes (a cluster node whose shared counters are away). */
export function dividedAll(scopes: readonly Scope[], share: number): Scope[] {
  return scopes.map((scope) => dividedBy(scope, share));
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
