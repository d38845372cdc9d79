/**
 * Money spent per principal (API key id, `jwt:<tenant>:<subject>`, or a tenant's budget period,
 * `tenant:<name>:<period>`), in USD. The rate limiter keeps running totals in memory and flushes
 * deltas here in batches.
 */
export interface SpendStore {
  /**
   * Adds each delta to its principal's total, in one transaction that takes the store's next
   * change number: transactions take them in the order they commit, every node's and process's
   * alike, so `changedSince` never misses one.
   *
   * `flushId` names the batch: the ledger sends a batch that failed again, whole, under the same
   * id. A store whose failed write may yet land (PostgreSQL: `storage_outcome_unknown`) records
   * the id with the deltas and adds nothing for an id it already holds; one whose failed write
   * never lands (SQLite, memory) may ignore it.
   */
  add(deltas: ReadonlyMap<string, number>, flushId?: string): Promise<void>;
  total(id: string): Promise<number>;
  /**
   * The totals of these principals, in one read; a principal with none is absent. Optional (an
   * embedder's store written before it): without it each is read with `total` (storage/spend-totals.ts).
   */
  totals?(ids: readonly string[]): Promise<Map<string, number>>;
  /**
   * The totals changed after `cursor` (every total for 0), and the cursor to ask from next: a
   * reader follows every writer's spend without reading the totals that did not change.
   */
  changedSince(cursor: number): Promise<SpendChanges>;
  /** Deletes these principals' totals (the budget periods that have ended). */
  remove(principals: readonly string[]): Promise<void>;
}

/** What `SpendStore.changedSince` found: the totals as they are now, and where to go on from. */
export interface SpendChanges {
  readonly totals: Map<string, number>;
  readonly cursor: number;
}
