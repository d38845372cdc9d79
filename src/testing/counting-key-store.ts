import type { KeyStore } from "../storage/storage.ts";
import { storedKey } from "./stored-key.ts";

/** How much of the key table a store was asked for: `list` calls, and the rows `list` and `page` returned. */
export interface KeyReads {
  lists: number;
  rows: number;
}

/**
 * `store` as an embedder's store that says how much of the table it read, for tests that a route
 * reads a page and not the table; `without` leaves optional methods out (a store written before them).
 */
export function countingKeyStore(
  store: KeyStore,
  without: readonly ("page" | "countActive" | "countActiveOutside")[] = [],
): { keys: KeyStore; reads: KeyReads } {
  const reads: KeyReads = { lists: 0, rows: 0 };
  const { page, countActive, countActiveOutside, ...rest } = store;
  const keys: KeyStore = {
    ...rest,
    async list(filter) {
      reads.lists += 1;
      const rows = await store.list(filter);
      reads.rows += rows.length;
      return rows;
    },
    ...(page && !without.includes("page")
      ? {
          async page(filter, after, limit) {
            const rows = await page(filter, after, limit);
            reads.rows += rows.length;
            return rows;
          },
        }
      : {}),
    ...(countActive && !without.includes("countActive") ? { countActive } : {}),
    ...(countActiveOutside && !without.includes("countActiveOutside") ? { countActiveOutside } : {}),
  };
  return { keys, reads };
}

/** Stores an admin key on every model with no limits; returns the plain key to call with. */
export async function storedAdminKey(store: KeyStore): Promise<string> {
  return storedKey(store, { role: "admin" });
}
