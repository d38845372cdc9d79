import { isJsonObject } from "../../core/dialect.ts";
import type { ResponseStore, StoredResponse } from "../storage.ts";

/**
 * ResponseStore held in process memory: for tests and embedders without persistence. An item is
 * found by a walk over every response, as fits a store this size. `labelScopesClosedAt`: for a test
 * standing in for a store that held rows under free tenant labels before (none here does).
 */
export function createMemoryResponseStore(
  options: Pick<ResponseStore, "labelScopesClosedAt"> = {},
): ResponseStore {
  const rows = new Map<string, StoredResponse>();
  // A JSON key cannot collide the way `${tenant}:${id}` could with a colon in a tenant name.
  const keyOf = (tenant: string, id: string) => JSON.stringify([tenant, id]);
  // The container record: when each scope's answers ran a call in each container, last.
  const seen = new Map<string, number>();
  return {
    ...options,
    async noteContainers(tenant, containers, seenAt) {
      for (const container of containers) {
        const key = keyOf(tenant, container);
        seen.set(key, Math.max(seen.get(key) ?? seenAt, seenAt));
      }
    },
    async forgetContainers(before, limit) {
      let forgotten = 0;
      for (const [key, at] of seen) {
        if (forgotten >= limit) break;
        if (at < before && seen.delete(key)) forgotten++;
      }
      return forgotten;
    },
    async containersSeen(tenant, containers, since) {
      return containers.filter((container) => (seen.get(keyOf(tenant, container)) ?? -1) >= since);
    },
    async prune(before, limit) {
      let removed = 0;
      for (const [key, row] of rows) {
        if (removed >= limit) break;
        if (row.createdAt < before && rows.delete(key)) removed++;
      }
      return removed;
    },
    async delete(tenant, id) {
      return rows.delete(keyOf(tenant, id));
    },
    async save(record) {
      rows.set(keyOf(record.tenant, record.id), structuredClone(record));
    },
    async responseOfItem(tenant, itemId) {
      for (const row of rows.values()) {
        const output = row.response.output;
        if (row.tenant !== tenant || !Array.isArray(output)) continue;
        if (output.some((item) => isJsonObject(item) && item.id === itemId)) return row.id;
      }
      return null;
    },
    async get(tenant, id) {
      const row = rows.get(keyOf(tenant, id));
      return row ? structuredClone(row) : null;
    },
  };
}
