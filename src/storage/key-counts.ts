import { isActiveAt } from "./key-record.ts";
import type { KeyStore } from "./storage.ts";

/**
 * How many active keys (neither revoked nor expired at `now`) each of `tenants` has; a tenant
 * without any is absent. The store's one counting read, or for a store without it (an embedder's,
 * written before it) every tenant's keys listed and counted.
 */
export async function activeKeyCounts(
  store: KeyStore,
  tenants: readonly string[],
  now: number,
): Promise<Map<string, number>> {
  if (store.countActive) return store.countActive(tenants, now);
  const counts = new Map<string, number>();
  for (const tenant of new Set(tenants)) {
    const active = (await store.list({ tenant, includeRevoked: false })).filter((k) => isActiveAt(k, now));
    if (active.length > 0) counts.set(tenant, active.length);
  }
  return counts;
}
