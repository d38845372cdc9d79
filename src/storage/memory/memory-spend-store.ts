import type { SpendStore } from "../storage.ts";

/** SpendStore held in process memory: for tests and for running without persistence. */
export function createMemorySpendStore(): SpendStore {
  /** Each principal's total and the change number of the write that last changed it. */
  const rows = new Map<string, { usd: number; seq: number }>();
  let seq = 0;
  return {
    async add(deltas) {
      seq++;
      for (const [id, usd] of deltas)
        if (usd !== 0) rows.set(id, { usd: (rows.get(id)?.usd ?? 0) + usd, seq });
    },
    async total(id) {
      return rows.get(id)?.usd ?? 0;
    },
    async totals(ids) {
      const totals = new Map<string, number>();
      for (const id of ids) {
        const row = rows.get(id);
        if (row) totals.set(id, row.usd);
      }
      return totals;
    },
    async changedSince(cursor) {
      const totals = new Map<string, number>();
      for (const [id, row] of rows) if (row.seq > cursor) totals.set(id, row.usd);
      return { totals, cursor: seq };
    },
    async remove(principals) {
      for (const id of principals) rows.delete(id);
    },
  };
}
