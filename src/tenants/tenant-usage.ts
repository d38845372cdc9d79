import type { Database } from "bun:sqlite";
import type { TenantConfig } from "../config/tenant-config.ts";

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

const EMPTY: TenantUsage = { requests: 0, inputTokens: 0, outputTokens: 0, costUsd: 0 };

/** Requests, tokens and spend of one tenant's callers in [from, to). */
export function tenantUsage(db: Database | null, tenant: string, from: number, to: number): TenantUsage {
  if (db === null) return EMPTY;
  const row = db
    .query<
      { requests: number; input: number | null; output: number | null; cost: number | null },
      [string, number, number]
    >(
      `SELECT count(*) AS requests, sum(l.input_tokens) AS input, sum(l.output_tokens) AS output,
              sum(l.cost_usd) AS cost
         FROM audit_log l JOIN audit_principals p ON p.id = l.principal_id
        WHERE p.tenant = ? AND l.started_at >= ? AND l.started_at < ?`,
    )
    .get(tenant, from, to);
  return row
    ? {
        requests: row.requests,
        inputTokens: row.input ?? 0,
        outputTokens: row.output ?? 0,
        costUsd: row.cost ?? 0,
      }
    : EMPTY;
}

/** Every configured tenant (or only `scope`) with its limits, key count and this period's usage. */
export async function tenantReports(
  tenants: readonly TenantConfig[],
  db: Database | null,
  countKeys: (tenant: string) => Promise<number>,
  scope: string | null,
  now: number,
): Promise<TenantReport[]> {
  const visible = tenants.filter((tenant) => scope === null || tenant.name === scope);
  return Promise.all(
    visible.map(async (tenant) => {
      const period = periodOf(tenant.budget?.per ?? "month", now);
      const usage = tenantUsage(db, tenant.name, period.from, period.to);
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
