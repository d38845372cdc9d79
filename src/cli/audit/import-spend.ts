import type { AuditRecord } from "../../audit/audit-record.ts";
import { tenantSpendSubjects } from "../../auth/limit-scope.ts";
import { callerSubject } from "../../auth/principal.ts";
import type { Config } from "../../config/config-schema.ts";
import { tenantRulesFor } from "../../tenants/bind-tenant.ts";

/**
 * The spend the records' requests would have added had their rows been written: each row's cost
 * to the totals the rate limiter counted it to when it answered (rate-limiter.ts `record`, with
 * `limitScopes(…, all)`): its key's (or JWT subject's), and its tenant's day and month when this
 * config gives the tenant rules, those the request finished in.
 */
export function spendOf(records: readonly AuditRecord[], config: Config): Map<string, number> {
  const deltas = new Map<string, number>();
  const add = (subject: string, usd: number) => deltas.set(subject, (deltas.get(subject) ?? 0) + usd);
  for (const record of records) {
    if (record.costUsd <= 0 || record.tenant === null || (record.keyId === null && record.keyName === null))
      continue;
    add(callerSubject(record.keyId, record.tenant, record.keyName ?? ""), record.costUsd);
    const rules = tenantRulesFor(config, record.tenant);
    if (rules === undefined) continue;
    const finished = Math.round(record.startedAt + record.latencyMs);
    for (const subject of tenantSpendSubjects(record.tenant, finished)) add(subject, record.costUsd);
  }
  return deltas;
}
