import type { AuditPosition } from "../audit/audit-cursor.ts";
import { auditFilterSchema } from "../audit/audit-query-schema.ts";
import type { TenantConfig } from "../config/tenant-config.ts";
import type { AuditStore } from "../storage/storage.ts";

/** What one tenant used in a period: from the audit log, so every key and JWT caller counts. */
export interface TenantUsage {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** One tenant as `/admin/api/tenants` and `mindgw tenants` show it. */
export interface TenantReport {
  name: string;
  models: string[];
  rpm: number | null;
  tpm: number | null;
  budget: { usd: number; per: "day" | "month" } | null;
  /** Active (not revoked) keys of the tenant. */
  keys: number;
  /** The current budget period (UTC): a day or a month, a month when no budget is set. */
  period: { from: number; to: number };
  usage: TenantUsage;
  /** The budget less this period's spend; null without a budget. */
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

const PAGE = 1000;

/**
 * Requests, tokens and spend of one tenant's callers in [from, to), read through the audit
 * store's own select (any backend) a page at a time. Cost grows with the period's rows; fine for
 * an operator's query, not for a request path.
 */
export async function tenantUsage(
  store: AuditStore | null,
  tenant: string,
  from: number,
  to: number,
): Promise<TenantUsage> {
  const usage: TenantUsage = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };
  if (store === null) return usage;
  const filter = auditFilterSchema.parse({ tenant, from, to, order: "asc" });
  let after: AuditPosition | null = null;
  for (;;) {
    const page = await store.select(filter, after, PAGE);
    for (const { record } of page) {
      usage.requests++;
      usage.inputTokens += record.inputTokens;
      usage.outputTokens += record.outputTokens;
      usage.costUsd += record.costUsd;
    }
    const last = page.at(-1);
    if (page.length < PAGE || last === undefined) return usage;
    after = last.position;
  }
}

/** Every configured tenant (or only `scope`) with its limits, key count and this period's usage. */
export async function tenantReports(
  tenants: readonly TenantConfig[],
  store: AuditStore | null,
  countKeys: (tenant: string) => Promise<number>,
  scope: string | null,
  now: number,
): Promise<TenantReport[]> {
  const visible = tenants.filter((tenant) => scope === null || tenant.name === scope);
  return Promise.all(
    visible.map(async (tenant) => {
      const period = periodOf(tenant.budget?.per ?? "month", now);
      const usage = await tenantUsage(store, tenant.name, period.from, period.to);
      return {
        name: tenant.name,
        models: tenant.models,
        rpm: tenant.rpm ?? null,
        tpm: tenant.tpm ?? null,
        budget: tenant.budget ?? null,
        keys: await countKeys(tenant.name),
        period,
        usage,
        remainingUsd: tenant.budget ? Math.max(0, tenant.budget.usd - usage.costUsd) : null,
      };
    }),
  );
}
