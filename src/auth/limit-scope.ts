import { usagePeriodOf } from "../config/tenant-config.ts";
import { isJwtCaller, limitSubject, type Principal } from "./principal.ts";

/** One set of limits a request counts against. */
export interface Scope {
  /** Where requests and tokens are counted. */
  readonly subject: string;
  /**
   * Where the budget reads the spend: for a key, its rotation chain's (`Principal.chain`), one total
   * for the chain's keys; for a tenant, its budget period's subject (a month's without a budget).
   */
  readonly spendSubject: string;
  /**
   * Every subject the spend is added to: the key's chain's; a tenant's day and month alike, whatever
   * its budget's period, so a reload that gives it a budget or changes the period finds the new
   * period's spend whole instead of starting it at $0.
   */
  readonly spendSubjects: readonly string[];
  readonly rpm: number | undefined;
  readonly tpm: number | undefined;
  readonly budgetUsd: number | undefined;
  /** When the budget starts over (a tenant's, UTC); undefined for a key's own, which never does. */
  readonly budgetPer: "day" | "month" | undefined;
  /** Names the scope in a refusal. */
  readonly owner: string;
  /**
   * Whose limits these are, which says how a spent budget is raised: a key's own by an admin
   * (`mindgw keys update`), a JWT subject's in config (`auth.jwt.limits`, every subject alike).
   */
  readonly kind: "key" | "jwt" | "tenant";
}

/** Requests and tokens of every key of a tenant are counted under this subject. */
export const tenantSubject = (tenant: string): string => `tenant:${tenant}`;

/** Spend of a tenant in the budget period containing `at` (UTC): `tenant:team-a:2026-11`. */
export function tenantSpendSubject(tenant: string, per: "day" | "month", at: number): string {
  return periodSubject(tenant, per, new Date(at).toISOString());
}

/**
 * A tenant's spend subjects of the day and the month containing `at` (UTC), both written with each
 * answer's cost: `tenant:team-a:2026-11-05` and `tenant:team-a:2026-11`.
 */
export function tenantSpendSubjects(tenant: string, at: number): readonly [day: string, month: string] {
  const iso = new Date(at).toISOString();
  return [periodSubject(tenant, "day", iso), periodSubject(tenant, "month", iso)];
}

const periodSubject = (tenant: string, per: "day" | "month", iso: string): string =>
  `tenant:${tenant}:${per === "day" ? iso.slice(0, 10) : iso.slice(0, 7)}`;

/** A tenant's spend subject's period, as `tenantSpendSubject` writes it. */
const SPEND_PERIOD = /^tenant:.*:(\d{4})-(\d{2})(?:-(\d{2}))?$/;

/**
 * When the budget period a spend subject stands for ends (epoch ms, UTC): a tenant's day or
 * month (`tenant:team-a:2026-11-05`, `tenant:team-a:2026-11`); undefined for a key's or a JWT
 * subject's spend, which never starts over.
 */
export function spendPeriodEnd(subject: string): number | undefined {
  const period = SPEND_PERIOD.exec(subject);
  if (!period) return undefined;
  const [, year, month, day] = period;
  return day === undefined
    ? Date.UTC(Number(year), Number(month), 1)
    : Date.UTC(Number(year), Number(month) - 1, Number(day) + 1);
}

/**
 * Whether a budget is spent. A total is many answers' costs summed in floating point, whose noise
 * falls either side of the figure (ten $0.10 answers sum to 0.9999999999999999): within a trillionth
 * of the budget, as the admin API shows it (core/round-usd.ts: $1 spent, $0 left), it is spent,
 * else one answer more would pass a budget spent to the cent.
 */
export const budgetSpent = (spent: number, budgetUsd: number): boolean =>
  spent >= budgetUsd - budgetUsd * 1e-12;

/**
 * A key's own budget never starts over: its refusal asks clients to stay away this long (a day)
 * rather than retry, until an admin raises the budget.
 */
export const NEVER_RESETS_RETRY_MS = 86_400_000;

/**
 * How long a refused budget stays spent: until its period ends (the next UTC midnight, or the
 * first of the next month, UTC), or `NEVER_RESETS_RETRY_MS` for a budget without a period.
 */
export function budgetWaitMs(scope: Scope, now: number): number {
  if (scope.budgetPer === undefined) return NEVER_RESETS_RETRY_MS;
  const at = new Date(now);
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  const end =
    scope.budgetPer === "day" ? Date.UTC(year, month, at.getUTCDate() + 1) : Date.UTC(year, month + 1, 1);
  return end - now;
}

/**
 * Who the request counts against: the key (or JWT subject), then its tenant. With `all`, a
 * scope without limits is kept so that spend is still totalled (per tenant usage, budgets
 * added later by a reload), a tenant's under its day and its month both. `now` is read only for a
 * tenant's budget period. The key's own scope is made once per limits object (the key cache keeps
 * one per key), not per request; a tenant's is made per request, its spend subjects following the
 * day. Never written to.
 */
export function limitScopes(principal: Principal, now: () => number, all = false): readonly Scope[] {
  const own = keyScopesOf(principal);
  const keys = all ? own.all : own.limited;
  const rules = principal.tenantRules;
  if (!rules || !(all || rules.rpm !== undefined || rules.tpm !== undefined || rules.budget !== undefined))
    return keys;
  const subject = tenantSubject(principal.tenant);
  const spendSubjects = tenantSpendSubjects(principal.tenant, now());
  const tenant: Scope = {
    subject,
    spendSubject: usagePeriodOf(rules) === "day" ? spendSubjects[0] : spendSubjects[1],
    spendSubjects,
    rpm: rules.rpm,
    tpm: rules.tpm,
    budgetUsd: rules.budget?.usd,
    budgetPer: rules.budget?.per,
    owner: `tenant "${principal.tenant}"`,
    kind: "tenant",
  };
  return keys.length === 0 ? [tenant] : [keys[0] as Scope, tenant];
}

/** The key's own scope, as admission (`limited`: none when it has no limit) and accounting (`all`) list it. */
interface KeyScopes {
  readonly subject: string;
  readonly spendSubject: string;
  readonly limited: readonly Scope[];
  readonly all: readonly Scope[];
}

/**
 * By the principal's limits object: a cached key's principal (and a tenant-bound copy of it)
 * shares one, so its scopes are made once. The subject is checked on each hit, so callers that
 * share a limits object but not a subject (JWT subjects) are never confused, only not cached.
 */
const keyScopes = new WeakMap<Principal["limits"], KeyScopes>();

function keyScopesOf(principal: Principal): KeyScopes {
  const subject = limitSubject(principal);
  // Requests and tokens are counted per key (a rotation's new key has minute windows of its own);
  // spend is its chain's, so a rotation's old and new key share one budget.
  const spendSubject = principal.chain ?? subject;
  const cached = keyScopes.get(principal.limits);
  if (cached !== undefined && cached.subject === subject && cached.spendSubject === spendSubject)
    return cached;
  const { rpm, tpm, budgetUsd } = principal.limits;
  const scope: Scope = {
    subject,
    spendSubject,
    spendSubjects: [spendSubject],
    rpm,
    tpm,
    budgetUsd,
    budgetPer: undefined,
    owner: "this credential",
    kind: isJwtCaller(principal) ? "jwt" : "key",
  };
  // Not frozen: JSC reads a frozen array's elements the slow way, and admission, the limit
  // headers and accounting loop over this one on every request (see principal.ts's `models`).
  const all: readonly Scope[] = [scope];
  const limited = rpm !== undefined || tpm !== undefined || budgetUsd !== undefined ? all : NO_SCOPES;
  const made: KeyScopes = { subject, spendSubject, limited, all };
  keyScopes.set(principal.limits, made);
  return made;
}

const NO_SCOPES: readonly Scope[] = Object.freeze([]);

/** The first scope with this limit (the key's own before its tenant's); a loop, no closure per request. */
export function firstLimiting(
  scopes: readonly Scope[],
  limit: "rpm" | "tpm" | "budgetUsd",
): Scope | undefined {
  for (const scope of scopes) if (scope[limit] !== undefined) return scope;
  return undefined;
}
