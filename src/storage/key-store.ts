import type { KeyLimits, KeyRecord } from "./key-record.ts";

/**
 * Persistence for API keys. Async throughout so a PostgreSQL implementation fits; the
 * request path never calls it directly (auth/key-cache.ts sits in front).
 */
export interface KeyStore {
  /** Inserts a new key; fails if the id or hash already exists. */
  create(record: KeyRecord): Promise<void>;
  /**
   * Inserts the key only if the store holds no key at all, the check and the insert one atomic
   * step: of several processes bootstrapping an empty store at once, exactly one inserts its key
   * (true); the others insert nothing (false). Optional, for an embedder's store written before it:
   * without it the bootstrap counts, then creates (two processes starting at once on an empty
   * store may then both create a key).
   */
  createIfEmpty?(record: KeyRecord): Promise<boolean>;
  /**
   * Inserts the key only if every key the store holds is one of `ids`, the check and the insert one
   * atomic step, as `createIfEmpty` (which is this with no ids): a start replacing abandoned
   * bootstrap keys, so that of several nodes recovering at once one inserts. Optional, for an
   * embedder's store written before it: without it that replacement is a plain `create`.
   */
  createIfOnly?(record: KeyRecord, ids: readonly string[]): Promise<boolean>;
  getByHash(hash: string): Promise<KeyRecord | null>;
  getById(id: string): Promise<KeyRecord | null>;
  /** All keys with this exact name, newest first (rotation leaves several). */
  findByName(name: string): Promise<KeyRecord[]>;
  /** Every key (of `tenant`, when given; without revoked keys unless `includeRevoked`), newest first. */
  list(filter?: { tenant?: string; includeRevoked?: boolean }): Promise<KeyRecord[]>;
  /**
   * At most `limit` keys matching `filter` strictly after `after` in the listing's order (newest
   * first: `createdAt`, then `id`, both descending), as one indexed read: a listing of any size
   * pages through without the table being read whole. Optional, for an embedder's store written
   * before it: without it each page lists every key and sorts them (storage/key-pages.ts).
   */
  page?(filter: KeyPageFilter, after: KeyPosition | null, limit: number): Promise<KeyRecord[]>;
  count(): Promise<number>;
  /**
   * How many active keys (neither revoked nor expired at `now`) each of `tenants` has, in one
   * read; a tenant without any is absent. Optional, for an embedder's store written before it:
   * without it each tenant's keys are listed and counted (storage/key-counts.ts).
   */
  countActive?(tenants: readonly string[], now: number): Promise<Map<string, number>>;
  /**
   * How many active keys each tenant that is not one of `tenants` has, in one read: the keys a
   * config listing `tenants` refuses (their warning at startup and reload, tenants/
   * unlisted-tenants-warning.ts). Optional, for an embedder's store written before it: without it
   * every unrevoked key is listed and counted (storage/key-counts.ts).
   */
  countActiveOutside?(tenants: readonly string[], now: number): Promise<Map<string, number>>;
  /** Sets revoked_at once; returns the updated record, or null when the id is unknown. */
  revoke(id: string, at: number): Promise<KeyRecord | null>;
  /** Used by rotation to bound the old key's life; null clears it. */
  setExpiresAt(id: string, at: number | null): Promise<KeyRecord | null>;
  /**
   * Sets a key's models, limits, budget and expiry (an admin changing them, a rotation bounding
   * the old key's life), as one change other nodes follow, only while the key is as the caller
   * read it: unrevoked, its models, rpm, tpm, budget and expiry all still as in `asRead`, and,
   * when `asRead` has a `version` (the store's own, as it read the key), that unchanged too, so
   * that a change which moves no limit (a rotation's end written over an expiry already within its
   * grace window) refuses the write as well. Returns the updated record, or null when the id is
   * unknown or the key changed since: the caller reads it again and applies its change over what
   * it finds, so a revoke is never undone, a rotation meanwhile is seen, and two admins changing
   * different limits at once keep both changes. Optional, for an embedder's store written before
   * it: without it a change of limits is refused (400), and a rotation sets the old key's expiry
   * with `setExpiresAt`.
   */
  setLimits?(
    id: string,
    limits: KeyLimits,
    asRead: KeyLimits & Pick<KeyRecord, "version">,
  ): Promise<KeyRecord | null>;
  /**
   * Records last use for many keys in one write. Callers batch (the key cache flushes every
   * few seconds), so there is never a write per request. Does not count as a change for
   * `changedSince`.
   */
  touch(lastUsed: ReadonlyMap<string, number>): Promise<void>;
  /** An opaque, monotonic position in the change log; start `changedSince` from it. */
  cursor(): Promise<number>;
  /**
   * Keys created or modified (revoked, expiry set) after `cursor`, by any process sharing
   * the store, with the cursor to pass next time. This is how a cache on one node sees a
   * `mindgw keys revoke` run elsewhere.
   */
  changedSince(cursor: number): Promise<{ records: KeyRecord[]; cursor: number }>;
}

/** Which keys `KeyStore.page` reads. */
export interface KeyPageFilter {
  /** Only this tenant's keys. */
  tenant?: string;
  /** Only the keys of this exact name (a rotation leaves several): read by the name's index. */
  name?: string;
  /** Only the keys active at this time (epoch ms): neither revoked nor expired. */
  activeAt?: number;
}

/** A key's place in a listing (newest first, the id breaking a tie within one millisecond). */
export interface KeyPosition {
  createdAt: number;
  id: string;
}
