import type { SpendStore } from "../storage.ts";

/** SpendStore held in process memory: for tests and for running without persistence. */
export function createMemorySpendStore(): SpendStore {
  const totals = new Map<string, number>();
  return {
    async add(deltas) {
      for (const [id, usd] of deltas) totals.set(id, (totals.get(id) ?? 0) + usd);
    },
    async total(id) {
      return totals.get(id) ?? 0;
    },
    async totals() {
      return new Map(totals);
    },
  };
}
