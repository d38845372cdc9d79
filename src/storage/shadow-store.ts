import type { ShadowAggregate, ShadowRecord } from "../shadow/shadow-api-schema.ts";

/** Which shadow pairs to read: all bounds optional; `tenant` holds a non-admin to its own. */
export interface ShadowFilter {
  model?: string;
  tenant?: string;
  /** One caller's pairs, by its id (a request's `keyId`: `key_…`, `jwt:<tenant>:<name>`). */
  keyId?: string;
  /** Inclusive lower bound on `at` (epoch ms). */
  from?: number;
  /** Exclusive upper bound on `at`. */
  to?: number;
}

/**
 * Shadow comparisons (shadow/): one record per mirrored request, both sides and how far they
 * agreed. Written off the request path; read by `/admin/api/shadow` and `mindgw shadow report`.
 */
export interface ShadowStore {
  /**
   * Inserts a batch of pairs at once (one transaction); each `record.id` is assigned by the
   * caller. The shadow runner batches finished pairs, so there is never a write per request.
   */
  insert(records: readonly ShadowRecord[]): Promise<void>;
  /**
   * Optional: the same insert given the records as the JSON text of an array, as the shadow
   * thread hands them over, for a store that writes from text (SQLite's audit thread). A store
   * without it gets `insert` of the parsed records.
   */
  insertJson?(json: string): Promise<void>;
  /**
   * Newest first: at most `limit` pairs matching `filter` recorded before the pair `beforeId`, a
   * page's cursor. The built-in stores refuse one that names no pair (400, `cursor`: shadow-cursor.ts),
   * nor one of `filter.tenant`'s (another tenant's pair is no cursor of that tenant's pages).
   */
  list(filter: ShadowFilter, beforeId: string | null, limit: number): Promise<ShadowRecord[]>;
  /** Per model over every pair matching `filter`. */
  aggregate(filter: ShadowFilter): Promise<ShadowAggregate[]>;
  /** Deletes up to `limit` pairs recorded before `before` (epoch ms); returns how many. */
  prune(before: number, limit: number): Promise<number>;
}
