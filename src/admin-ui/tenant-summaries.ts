import type { KeyWithSpend } from "./use-key-list.ts";

export interface TenantSummary {
  /** Active keys: a rotated key in its grace window is one (it still works). */
  keys: number;
  spent: number;
  budget: number;
}

/**
 * Per tenant named by the keys shown: its active keys, and its spend and budgets with each
 * rotation chain counted once. A rotation's keys share one spend (counted under the chain's first
 * key, which each of them reports) and one budget, so a chain counts its spend once (the most any
 * of its keys reports: a gateway of an earlier release reported each key's own) and its newest
 * key's budget.
 */
export function tenantSummaries(list: readonly KeyWithSpend[]): Map<string, TenantSummary> {
  const tenants = new Map<string, TenantSummary>();
  // The spend each chain has counted so far; the list is newest first.
  const chains = new Map<string, number>();
  for (const k of list) {
    const t = tenants.get(k.tenant) ?? { keys: 0, spent: 0, budget: 0 };
    if (k.status === "active") t.keys++;
    const spent = k.spent ?? 0;
    const counted = chains.get(k.chain);
    if (counted === undefined) {
      t.spent += spent;
      t.budget += k.budget_usd ?? 0;
      chains.set(k.chain, spent);
    } else if (spent > counted) {
      t.spent += spent - counted;
      chains.set(k.chain, spent);
    }
    tenants.set(k.tenant, t);
  }
  return tenants;
}
