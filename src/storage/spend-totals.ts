import type { SpendStore } from "./storage.ts";

/**
 * The spend totals of these principals (one with none is absent): the store's one read, or for a
 * store without it (an embedder's, written before it) each principal's `total`, asked at once.
 */
export async function spendTotals(store: SpendStore, ids: readonly string[]): Promise<Map<string, number>> {
  if (store.totals) return store.totals(ids);
  const each = await Promise.all(ids.map(async (id) => [id, await store.total(id)] as const));
  return new Map(each.filter(([, usd]) => usd !== 0));
}
