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

/**
 * How many active keys each tenant not among `tenants` has; a tenant without any is absent. The
 * store's one counting read, or for a store without it every unrevoked key listed and counted.
 */
export async function activeKeyCountsOutside(
  store: KeyStore,
  tenants: readonly string[],
  now: number,
): Promise<Map<string, number>> {
  if (store.countActiveOutside) return store.countActiveOutside(tenants, now);
  const listed = new Set(tenants);
  const counts = new Map<string, number>();
  for (const key of await store.list({ includeRevoked: false }))
    if (!listed.has(key.tenant) && isActiveAt(key, now))
      counts.set(key.tenant, (counts.get(key.tenant) ?? 0) + 1);
  return counts;
}
