import { CoalescedTask } from "../core/coalesced-task.ts";
import { monotonicClock } from "../core/steady-clock.ts";
import type { KeyRecord } from "../storage/key-record.ts";
import type { KeyStore } from "../storage/storage.ts";
import { hashApiKey, isApiKeyShaped } from "./api-key.ts";
import { type KnownPrincipal, knownPrincipal } from "./known-principal.ts";
import { type Principal, principalFromKey } from "./principal.ts";

export interface KeyCacheOptions {
  store: KeyStore;
  /** The wall clock: a key's expiry and last-used time are dates. */
  now?: () => number;
  /**
   * The clock an unknown key's memory (`negativeTtlMs`) runs on: one an NTP step never moves, so a
   * step back does not remember it for the step's length. Default: `now` when a test injects one,
   * else the monotonic clock.
   */
  elapsed?: () => number;
  /**
   * How often changes made by another process (`mindgw keys` on the same file, another node
   * on the same database) are pulled in. This is the staleness bound for those changes:
   * a revoke elsewhere takes effect here within `refreshMs` plus one store query.
   * Default 2000 ms. Changes made through this node's KeyAdmin apply at once.
   */
  refreshMs?: number;
  /** How long an unknown key is remembered as unknown. Default 5000 ms. */
  negativeTtlMs?: number;
  /** Bounds memory an attacker can fill with unknown keys. Default 10 000. */
  maxNegative?: number;
  /** Bounds known keys held (oldest loaded dropped first). Default 100 000. */
  maxEntries?: number;
  /** Background refresh failures; the cache keeps serving what it has. */
  onError?: (error: unknown) => void;
  /** Sees every key change this cache learns of, local or pulled (KeySessions.keyChanged). */
  onChange?: (record: KeyRecord) => void;
}

interface Entry {
  record: KeyRecord;
  principal: Principal;
  /** The principal as a settled promise, made once for the entry: a cached key's check makes none. */
  settled?: KnownPrincipal;
}

/**
 * In-memory front of the KeyStore: a request costs one SHA-256 and a Map lookup, never a
 * store read once the key is known. Revocation and expiry are checked on every request
 * against the cached record, so an expiry passes on time without a reload.
 */
export class KeyCache {
  private readonly store: KeyStore;
  private readonly now: () => number;
  private readonly elapsed: () => number;
  private readonly negativeTtlMs: number;
  private readonly maxNegative: number;
  private readonly maxEntries: number;
  private readonly refreshMs: number;
  private readonly onError: (error: unknown) => void;
  private readonly onChange: (record: KeyRecord) => void;
  private readonly byHash = new Map<string, Entry>();
  /** An unknown key's hash, and until when (the `elapsed` clock) it is remembered as unknown. */
  private readonly negative = new Map<string, number>();
  private readonly loading = new Map<string, Promise<Entry | null>>();
  private readonly lastUsed = new Map<string, number>();
  // Bumped on every change; a load that straddles one re-reads instead of caching stale data.
  private epoch = 0;
  private cursor = 0;
  private timer: ReturnType<typeof setInterval> | null = null;
  private readonly pulls = new CoalescedTask(() => this.pull());
  private closed = false;

  constructor(options: KeyCacheOptions) {
    this.store = options.store;
    this.now = options.now ?? Date.now;
    this.elapsed = options.elapsed ?? options.now ?? monotonicClock;
    this.refreshMs = options.refreshMs ?? 2000;
    this.negativeTtlMs = options.negativeTtlMs ?? 5000;
    this.maxNegative = options.maxNegative ?? 10_000;
    this.maxEntries = options.maxEntries ?? 100_000;
    this.onError = options.onError ?? (() => {});
    this.onChange = options.onChange ?? (() => {});
  }

  /** Positions the change feed at "now" and starts the periodic refresh (timer is unref'd). */
  async start(): Promise<void> {
    this.cursor = await this.store.cursor();
    if (this.timer || this.refreshMs <= 0) return;
    // A tick that meets a pull under way shares it: the next tick reads again.
    this.timer = setInterval(() => {
      this.pulls.join().catch(this.onError);
    }, this.refreshMs);
    this.timer.unref?.();
  }

  /** The caller behind a plain API key, or null when it is unknown, revoked or expired. */
  async resolve(token: string): Promise<Principal | null> {
    if (!isApiKeyShaped(token)) return null;
    const hash = hashApiKey(token);
    const now = this.now();
    const entry = this.byHash.get(hash) ?? (await this.load(hash));
    return entry ? this.admitted(entry, now) : null;
  }

  /**
   * As `resolve`, answered from the cache (nearly every request): the caller as a settled promise
   * made once per cached key, not once per request, or null as `resolve` has it; undefined when
   * only the store can tell (call `resolve`).
   */
  cached(token: string): Promise<Principal> | null | undefined {
    if (!isApiKeyShaped(token)) return null;
    const entry = this.byHash.get(hashApiKey(token));
    if (entry === undefined) return undefined;
    if (this.admitted(entry, this.now()) === null) return null;
    entry.settled ??= knownPrincipal(entry.principal);
    return entry.settled;
  }

  /**
   * The caller a key names when the cache holds it, valid, now; undefined otherwise. Never a store
   * read, and no last-used time (the request it came with is not served): for the record of a
   * request refused before it is authenticated.
   */
  known(token: string): Principal | undefined {
    const entry = isApiKeyShaped(token) ? this.byHash.get(hashApiKey(token)) : undefined;
    return entry && validAt(entry.record, this.now()) ? entry.principal : undefined;
  }

  private admitted(entry: Entry, now: number): Principal | null {
    const { record } = entry;
    if (!validAt(record, now)) return null;
    this.lastUsed.set(record.id, now);
    return entry.principal;
  }

  /** Applies a change made on this node (create, revoke, rotate) immediately. */
  onKeyChanged(record: KeyRecord): void {
    this.epoch++;
    this.negative.delete(record.hash);
    if (this.byHash.has(record.hash)) this.byHash.set(record.hash, entryOf(record));
    this.onChange(record);
  }

  /** Forgets a key so the next request reloads it from the store. */
  invalidate(hash: string): void {
    this.epoch++;
    this.byHash.delete(hash);
    this.negative.delete(hash);
  }

  /**
   * Pulls changes made by other processes and flushes last-used times, in a pull that starts after
   * this call: one under way may have read the change log before the change it is asked for (a
   * cluster node's key-change notice) committed. However many ask meanwhile share that one pull.
   */
  refresh(): Promise<void> {
    return this.pulls.rerun();
  }

  /** Writes buffered last_used_at values in one batch. */
  async flush(): Promise<void> {
    if (this.lastUsed.size === 0) return;
    const batch = new Map(this.lastUsed);
    this.lastUsed.clear();
    await this.store.touch(batch);
  }

  /** Stops the refresh timer and flushes; call before closing the store. */
  async close(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.closed = true;
    await this.pulls.idle();
    await this.flush();
  }

  private async pull(): Promise<void> {
    // One asked for as the cache closed: the store may be closing too.
    if (this.closed) return;
    await this.flush();
    for (;;) {
      const { records, cursor } = await this.store.changedSince(this.cursor);
      for (const record of records) this.onKeyChanged(record);
      this.cursor = cursor;
      if (records.length === 0) return;
    }
  }

  /** An uncached key's entry (null: unknown), from the store unless remembered as unknown. */
  private load(hash: string): Promise<Entry | null> | null {
    const asked = this.elapsed();
    const until = this.negative.get(hash);
    if (until !== undefined) {
      if (asked < until) return null;
      this.negative.delete(hash);
    }
    let pending = this.loading.get(hash);
    if (!pending) {
      // One store read per unknown hash however many requests arrive together.
      pending = this.fetch(hash, asked).finally(() => this.loading.delete(hash));
      this.loading.set(hash, pending);
    }
    return pending;
  }

  /** `asked`: when the read was asked for, on the `elapsed` clock. */
  private async fetch(hash: string, asked: number): Promise<Entry | null> {
    const epoch = this.epoch;
    let record = await this.store.getByHash(hash);
    if (epoch !== this.epoch) record = await this.store.getByHash(hash);
    if (!record) {
      if (this.negative.size >= this.maxNegative) this.evictOldest(this.negative);
      this.negative.set(hash, asked + this.negativeTtlMs);
      return null;
    }
    const entry = entryOf(record);
    if (this.byHash.size >= this.maxEntries) this.evictOldest(this.byHash);
    this.byHash.set(hash, entry);
    return entry;
  }

  private evictOldest(map: Map<string, unknown>): void {
    const oldest = map.keys().next();
    if (!oldest.done) map.delete(oldest.value);
  }
}

/** Neither revoked nor expired at `now`. */
const validAt = (record: KeyRecord, now: number): boolean =>
  record.revokedAt === null && (record.expiresAt === null || now < record.expiresAt);

function entryOf(record: KeyRecord): Entry {
  return { record, principal: principalFromKey(record) };
}
