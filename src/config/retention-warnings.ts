import type { Config } from "./config-schema.ts";
import { formatDuration } from "./units.ts";

const DAY_MS = 86_400_000;

/** A budget period at its longest: a UTC day, or a month of 31 days. */
const LONGEST_MS = { day: DAY_MS, month: 31 * DAY_MS } as const;

/** Tenants named in one warning; the rest are counted. */
const NAMED = 5;

/**
 * Valid, but a tenant's budget period outlasts `audit.retention`: the rows of its period's start
 * are deleted before it ends, so its requests and tokens in the tenants' usage count only the
 * newer part (the default 30d against a 31-day month). Its spend and remaining budget are the spend
 * ledger's, which the budget is enforced against, and stay whole. One warning per kind of period,
 * without a `warning:` prefix (the log line has its level).
 */
export function retentionWarnings(config: Config): string[] {
  const retention = config.audit.retention;
  const warnings: string[] = [];
  for (const per of ["day", "month"] as const) {
    if (retention >= LONGEST_MS[per]) continue;
    const names = config.tenants.filter((tenant) => tenant.budget?.per === per).map((tenant) => tenant.name);
    if (names.length === 0) continue;
    const named =
      names.slice(0, NAMED).join(", ") + (names.length > NAMED ? ` and ${names.length - NAMED} more` : "");
    warnings.push(
      `audit.retention (${formatDuration(retention)}) is shorter than the budget period of tenant${names.length > 1 ? "s" : ""} ${named} (a ${per === "day" ? "day" : "month, up to 31 days"}): their requests and tokens in /admin/api/tenants and mindgw tenants count only the rows still kept; spend and remaining budget are the ledger's, unaffected; set audit.retention to ${formatDuration(LONGEST_MS[per])} or more for whole counts`,
    );
  }
  return warnings;
}
