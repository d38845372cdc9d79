import type { Config } from "./config-schema.ts";
import { type TenantConfig, usagePeriodOf } from "./tenant-config.ts";
import { formatDuration } from "./units.ts";

const DAY_MS = 86_400_000;

/** A budget period at its longest: a UTC day, or a month of 31 days. */
const LONGEST_MS = { day: DAY_MS, month: 31 * DAY_MS } as const;

/** Tenants named in one warning; the rest are counted. */
const NAMED = 5;

/**
 * Valid, but the period a tenant's usage is counted over (its budget's, a month without one)
 * outlasts `audit.retention`: the rows of its period's start are deleted before it ends, so its
 * requests and tokens in the tenants' usage count only the newer part (a retention of 30d against a
 * 31-day month; the default, 31d, covers every period). Its spend and remaining budget are the spend ledger's, which the budget is
 * enforced against, and stay whole. One warning per kind of period, without a `warning:` prefix
 * (the log line has its level).
 */
export function retentionWarnings(config: Config): string[] {
  return warningsFor(config.audit.retention, config.tenants);
}

/**
 * What a reload warns of: the warnings its tenants give that those of the config it replaces did
 * not (a tenant given a budget of a longer period, or added), against `retention`, the one in
 * force (`audit.retention` is read at start). What was warned of already is not said again.
 */
export function reloadRetentionWarnings(
  retention: number,
  previous: readonly TenantConfig[],
  next: readonly TenantConfig[],
): string[] {
  const warned = new Set(warningsFor(retention, previous));
  return warningsFor(retention, next).filter((warning) => !warned.has(warning));
}

function warningsFor(retention: number, tenants: readonly TenantConfig[]): string[] {
  const warnings: string[] = [];
  for (const per of ["day", "month"] as const) {
    if (retention >= LONGEST_MS[per]) continue;
    const names = tenants.filter((tenant) => usagePeriodOf(tenant) === per).map((tenant) => tenant.name);
    if (names.length === 0) continue;
    const named =
      names.slice(0, NAMED).join(", ") + (names.length > NAMED ? ` and ${names.length - NAMED} more` : "");
    warnings.push(
      `audit.retention (${formatDuration(retention)}) is shorter than the usage period of tenant${names.length > 1 ? "s" : ""} ${named} (a ${per === "day" ? "day" : "month, up to 31 days"}): their requests and tokens in /admin/api/tenants and mindgw tenants count only the rows still kept; spend and remaining budget are the ledger's, unaffected; set audit.retention to ${formatDuration(LONGEST_MS[per])} or more for whole counts`,
    );
  }
  return warnings;
}
