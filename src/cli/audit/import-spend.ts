import { type AuditRecord, finishedAt } from "../../audit/audit-record.ts";
import { KEY_ID_PREFIX } from "../../auth/caller-id.ts";
import { chainOf } from "../../auth/key-lookup.ts";
import { tenantSpendSubjects } from "../../auth/limit-scope.ts";
import { callerSubject } from "../../auth/principal.ts";
import type { Config } from "../../config/config-schema.ts";
import type { KeyStore } from "../../storage/storage.ts";
import { tenantRulesFor } from "../../tenants/bind-tenant.ts";

/**
 * The rotation chain of each key the records name, as its principal carried it when it answered
 * (`Principal.chain`): its spend counts under the chain, never under a rotated key's own id (the
 * database's trigger would add it to the chain as well, and the key's own row would grow apart). A
 * key the store no longer holds is a chain of its own. Each key read once.
 */
export async function keyChains(
  keys: KeyStore,
  records: readonly AuditRecord[],
): Promise<Map<string, string>> {
  const ids = new Set<string>();
  for (const { keyId } of records) if (keyId?.startsWith(KEY_ID_PREFIX)) ids.add(keyId);
  const chains = new Map<string, string>();
  for (const id of ids) {
    const key = await keys.getById(id);
    if (key !== null) chains.set(id, chainOf(key));
  }
  return chains;
}

/**
 * The spend the records' requests would have added had their rows been written: each row's cost
 * to the totals the rate limiter counted it to when it answered (rate-limiter.ts `record`, with
 * `limitScopes(…, all)`): its key's rotation chain's (`chains`, from `keyChains`; a key not in it
 * is a chain of its own) or JWT subject's, and its tenant's day and month when this config gives
 * the tenant rules, those the request finished in.
 */
export function spendOf(
  records: readonly AuditRecord[],
  config: Config,
  chains: ReadonlyMap<string, string> = new Map(),
): Map<string, number> {
  const deltas = new Map<string, number>();
  const add = (subject: string, usd: number) => deltas.set(subject, (deltas.get(subject) ?? 0) + usd);
  for (const record of records) {
    if (record.costUsd <= 0 || record.tenant === null || (record.keyId === null && record.keyName === null))
      continue;
    const subject = callerSubject(record.keyId, record.tenant, record.keyName ?? "");
    add(chains.get(subject) ?? subject, record.costUsd);
    const rules = tenantRulesFor(config, record.tenant);
    if (rules === undefined) continue;
    for (const subject of tenantSpendSubjects(record.tenant, finishedAt(record)))
      add(subject, record.costUsd);
  }
  return deltas;
}
