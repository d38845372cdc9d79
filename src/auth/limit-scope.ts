import { limitSubject, type Principal } from "./principal.ts";

/** One set of limits a request counts against. */
export interface Scope {
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

/**
 * Who the request counts against: the key (or JWT subject), then its tenant. With `all`, a
 * scope without limits is kept so that spend is still totalled (per tenant usage, budgets
 * added later by a reload). `now` is read only for a tenant's budget period.
 */
export function limitScopes(principal: Principal, now: () => number, all = false): Scope[] {
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
      spendSubject: tenantSpendSubject(principal.tenant, rules.budget?.per ?? "month", now()),
      rpm: rules.rpm,
      tpm: rules.tpm,
      budgetUsd: rules.budget?.usd,
      owner: `tenant "${principal.tenant}"`,
    });
  }
  return scopes;
}

/** The first scope with this limit (the key's own before its tenant's); a loop, no closure per request. */
export function firstLimiting(
  scopes: readonly Scope[],
  limit: "rpm" | "tpm" | "budgetUsd",
): Scope | undefined {
  for (const scope of scopes) if (scope[limit] !== undefined) return scope;
  return undefined;
}
