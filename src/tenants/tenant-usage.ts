import { tenantSpendSubject } from "../auth/limit-scope.ts";
import { type TenantConfig, usagePeriodOf } from "../config/tenant-config.ts";
import { roundUsd } from "../core/round-usd.ts";
import type { AuditStore, TenantUsage } from "../storage/storage.ts";
import type { UsageRead } from "./shared-usage.ts";
import { summedUsage } from "./summed-usage.ts";

export type { TenantUsage };

/** One tenant as `/admin/api/tenants` and `mindgw tenants` show it. */
export interface TenantReport {
  name: string;
  models: string[];
  rpm: number | null;
  tpm: number | null;
  budget: { usd: number; per: "day" | "month" } | null;
  /** Active keys of the tenant: neither revoked nor expired. */
  keys: number;
  /** The current budget period (UTC): a day or a month, a month when no budget is set. */
  period: { from: number; to: number };
  /**
   * This period's requests and tokens, counted over the audit rows still kept (rows older than
   * `audit.retention` are deleted: a retention shorter than the period counts only its newer part),
   * and its spend (`costUsd`) from the spend ledger, the total the budget is enforced against,
   * whatever the audit log still holds; without a ledger (an embedder's own `Policy`), the rows'.
   */
  usage: TenantUsage;
  /** The budget less this period's spend (as `usage.costUsd`); null without a budget. */
  remainingUsd: number | null;
}

/** Start and end (exclusive) of the UTC day or month containing `at`. */
export function periodOf(per: "day" | "month", at: number): { from: number; to: number } {
  const d = new Date(at);
  return per === "day"
    ? {
        from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()),
        to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1),
      }
    : {
        from: Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1),
        to: Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1),
      };
}

const NONE: TenantUsage = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

/**
 * The usage of each of `tenants` in [from, to) from `store`: its one aggregate, or for a store
 * without it the sum of its pages (summed-usage.ts); none without a store.
 */
export function storeUsage(store: AuditStore | null): UsageRead {
  if (store === null) return () => Promise.resolve(new Map());
  return (tenants, from, to) =>
    store.tenantUsage ? store.tenantUsage(tenants, from, to) : summedUsage(store, tenants, from, to);
}

/**
 * How many active keys each of `tenants` has (a tenant without any may be absent), counted for
 * all of them at once (storage/key-counts.ts): one read per report, not one per tenant.
 */
export type CountKeys = (tenants: readonly string[]) => Promise<Map<string, number>>;

/**
 * The spend ledger's totals of these subjects (one with none may be absent), read at once
 * (storage/spend-totals.ts): one read per report, not one per tenant.
 */
export type SpentRead = (subjects: readonly string[]) => Promise<ReadonlyMap<string, number>>;

/** Where a report reads each tenant's figures. */
export interface TenantReads {
  /** Requests and tokens, from the audit rows (shared-usage.ts). */
  readonly usage: UsageRead;
  readonly countKeys: CountKeys;
  /**
   * Spend, from the ledger the built-in limits enforce budgets against (`tenant:<name>:<period>`).
   * Absent where none is kept (an embedder's own `Policy` replaces the built-in limits, and only
   * the audit rows hold what its `record` priced): the rows' cost.
   */
  readonly spent?: SpentRead;
}

/** Every configured tenant (or only `scope`) with its limits, key count and this period's usage. */
export async function tenantReports(
  tenants: readonly TenantConfig[],
  reads: TenantReads,
  scope: string | null,
  now: number,
): Promise<TenantReport[]> {
  const visible = tenants.filter((tenant) => scope === null || tenant.name === scope);
  // One read per kind of period (this month, today), for every tenant counted over it.
  const usageReads = new Map<"day" | "month", Promise<ReadonlyMap<string, TenantUsage>>>();
  const usageOver = (per: "day" | "month") => {
    let read = usageReads.get(per);
    if (read === undefined) {
      const { from, to } = periodOf(per, now);
      const names = visible.filter((tenant) => usagePeriodOf(tenant) === per).map((tenant) => tenant.name);
      read = reads.usage(names, from, to);
      usageReads.set(per, read);
    }
    return read;
  };
  // The subject the limits total the tenant's spend of this period under (auth/limit-scope.ts):
  // both periods' are kept, so a period a reload changed reads its whole spend.
  const spendSubject = (tenant: TenantConfig) => tenantSpendSubject(tenant.name, usagePeriodOf(tenant), now);
  const keyCounts = reads.countKeys(visible.map((tenant) => tenant.name));
  const spent = reads.spent?.(visible.map(spendSubject));
  // Awaited below, after each tenant's usage; a usage read that fails first leaves them unheard.
  keyCounts.catch(() => {});
  spent?.catch(() => {});
  return Promise.all(
    visible.map(async (tenant) => {
      const period = periodOf(usagePeriodOf(tenant), now);
      const rows = (await usageOver(usagePeriodOf(tenant))).get(tenant.name) ?? NONE;
      const costUsd = roundUsd(spent ? ((await spent).get(spendSubject(tenant)) ?? 0) : rows.costUsd);
      return {
        name: tenant.name,
        models: tenant.models,
        rpm: tenant.rpm ?? null,
        tpm: tenant.tpm ?? null,
        budget: tenant.budget ?? null,
        keys: (await keyCounts).get(tenant.name) ?? 0,
        period,
        usage: { ...rows, costUsd },
        remainingUsd: tenant.budget ? roundUsd(Math.max(0, tenant.budget.usd - costUsd)) : null,
      };
    }),
  );
}
