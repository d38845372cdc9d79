import { spendTotals } from "../storage/spend-totals.ts";
import type { KeyStore, SpendStore } from "../storage/storage.ts";
import { subjectIdParts } from "./caller-id.ts";
import { chainOf } from "./key-lookup.ts";

/**
 * What each caller named has spent, as its budget reads it, for a reader held to `tenant` (null:
 * every tenant): a key's is its rotation chain's one total (counted under the chain's first key's
 * id, so each key of a chain reports the same), any other id's (a JWT subject's `jwt:…`) its own.
 * For a tenant's reader, a key of another tenant, and any id that is neither a key of its tenant
 * nor a keyless caller's of it (`jwt:<tenant>:<name>`, caller-id.ts `subjectId`), is left out, as
 * if unknown. Each id is read once, and every total in one read however many keys share a chain.
 */
export type SpendByCaller = (ids: readonly string[], tenant: string | null) => Promise<Map<string, number>>;

export function spendByCaller(keys: KeyStore, spend: SpendStore): SpendByCaller {
  return async (ids, tenant) => {
    const unique = [...new Set(ids)];
    const records = await Promise.all(unique.map((id) => keys.getById(id)));
    const subjects = new Map<string, string>();
    unique.forEach((id, i) => {
      const key = records[i] ?? null;
      if (tenant !== null && (key ? key.tenant : subjectIdParts(id)?.tenant) !== tenant) return;
      subjects.set(id, key ? chainOf(key) : id);
    });
    const totals = await spendTotals(spend, [...new Set(subjects.values())]);
    return new Map([...subjects].map(([id, subject]) => [id, totals.get(subject) ?? 0]));
  };
}
