import type { AuditPosition } from "../audit/audit-cursor.ts";
import type { AuditFilter } from "../audit/audit-query-schema.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { AuditRowKey } from "../audit/audit-row-key.ts";
import type { JsonObject } from "../core/dialect.ts";
import type { ShadowAggregate, ShadowRecord } from "../shadow/shadow-api-schema.ts";
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

/** A stored Responses API `response`, as `GET /v1/responses/{id}` and chains read it. */
export interface StoredResponse {
  /**
   * Whose response it is: the caller's tenant, or for a caller outside every tenant its own scope
   * (`default/<key id>`: http/response-scope.ts). Part of the key, so no scope reads another's.
   */
  tenant: string;
  /** `resp_…`, unique across tenants in practice, but only ever looked up with its tenant. */
  id: string;
  /** The `response` object exactly as the caller received it. */
  response: JsonObject;
  /**
   * What this response adds to its chain, oldest first: its request's input, then its output.
   * The conversation it continues is its `previousId`'s chain (`ResponseStore.chain`), so each
   * turn is stored once however long the chain grows. A response without `previousId` holds its
   * whole conversation: a chain's first, and every response stored before responses named the one
   * they continue (which held the whole conversation so far each).
   */
  items: JsonObject[];
  /** The response this one continues (its request's `previous_response_id`), in the same scope. */
  previousId?: string;
  /** Epoch milliseconds. */
  createdAt: number;
  /**
   * The provider that holds this response upstream, when it answered natively (the Responses
   * API passed through): its `GET`/`DELETE` go there, and its chain stays there. Absent when
   * the gateway built the response by translation.
   */
  holder?: string;
}

/** A stored response with the responses it continues, as far back as they are still stored. */
export interface ResponseChain {
  /** Oldest first, ending with the response asked for. */
  responses: StoredResponse[];
  /**
   * The response the earliest of `responses` continues, when it is stored no longer (deleted,
   * pruned by retention): the chain is not whole. Absent when the chain reaches its start.
   */
  missing?: string;
}

/** Stored responses for `previous_response_id` chains and `GET /v1/responses/{id}`. */
export interface ResponseStore {
  /** Inserts or replaces the response with this tenant and id. */
  save(record: StoredResponse): Promise<void>;
  /** Null when the id is unknown for this tenant, including when another tenant holds it. */
  get(tenant: string, id: string): Promise<StoredResponse | null>;
  /**
   * The response and, following `previousId` within the tenant, every one before it, in one read
   * (a recursive query); null when the response itself is unknown. Optional: a store without it
   * is walked a `get` at a time (response-chain.ts).
   */
  chain?(tenant: string, id: string): Promise<ResponseChain | null>;
  /**
   * The id of the tenant's stored response whose `response.output` holds an item with this id
   * (an `item_reference` names an item alone, and an upstream's item ids say nothing of their
   * response); null when none does. The caller reads that response to make sure. Optional: a store
   * without it finds only the items whose ids the gateway made, and a reference to any other is
   * refused as unknown.
   */
  responseOfItem?(tenant: string, itemId: string): Promise<string | null>;
  /** Deletes one response (`DELETE /v1/responses/{id}`); false when the tenant has no such id. */
  delete?(tenant: string, id: string): Promise<boolean>;
  /**
   * When rows stopped being stored under a free tenant label (epoch ms): when the responses
   * schema's item index (migration 4, the release that made such callers' scopes per key) was
   * applied. Keys created before it still read what their label shared then; absent, no key does
   * (http/response-scope.ts).
   */
  readonly labelScopesClosedAt?: number;
  /** Deletes up to `limit` responses created before `before` (epoch ms); returns how many. */
  prune(before: number, limit: number): Promise<number>;
}

/** What one `AuditStore.insert` did. */
export interface AuditBatchResult {
  written: number;
  /** Records the store refused on their own (a value it cannot hold); they are dropped. */
  rejected: number;
}

/**
 * What one tenant's callers used in a time range, from its audit rows: every key and JWT caller
 * counts; the admin API's own calls (front door `admin`: the web UI's polling among them) do not.
 */
export interface TenantUsage {
  requests: number;
  inputTokens: number;
  outputTokens: number;
  costUsd: number;
}

/** An audit record with its place in the log, for keyset pagination. */
export interface AuditEntry {
  record: AuditRecord;
  position: AuditPosition;
}

/**
 * The audit log. The batching writer (audit/audit-writer.ts) sits in front: the request path
 * never calls this. Query pages and streamed exports are both built on `select` by audit/
 * (cursor encoding, formats), so a backend implements keyset reads once.
 */
export interface AuditStore {
  /**
   * Writes a batch atomically. Throws only when the storage itself failed (disk full,
   * read-only, connection lost): then nothing of the batch is written and the caller keeps it
   * and retries; the store reconnects by itself on a later call. Bodies are stored as given
   * (the writer redacts them first, or strips them when `audit.bodies` is off).
   */
  insert(records: readonly AuditRecord[]): Promise<AuditBatchResult>;
  /**
   * `insert` with the batch already encoded (`encodeAuditBatch`, audit/audit-row-bytes.ts: each
   * record's fields written as bytes, read back with `parseAuditBatch` or `decodeAuditRows`). The
   * store may transfer `batch` elsewhere (a thread): it is the caller's no longer. Optional: a
   * store that sends batches elsewhere as bytes (a thread) offers it, and
   * the writer then queues records as bytes from the moment they are written, so the collections
   * that run while a batch waits have nothing of it to visit or promote
   * (docs/BENCHMARKS-HISTORY.md, "Session 8: c=1" and "Session 12: the audit queue on the main heap").
   */
  insertEncoded?(batch: Uint8Array<ArrayBuffer>, lines?: number): Promise<AuditBatchResult>;
  /**
   * Offered by a store whose thread writes the access lines the rows of an `insertEncoded` batch
   * carry (audit-row-layout.ts `ROW_LINE`), before the batch's insert (storage/line-claims.ts):
   * the caller opens the batch's claim (`open`) and passes its number as `lines`; once the
   * promise settled (or at exit while it has not), `reclaim` is true when the lines are the
   * caller's to write, the thread never having taken them.
   */
  readonly threadLines?: { open(): number; reclaim(lines: number): boolean };
  /** The most rows the audit writer should hand `insert` at once (its default without this: 500). */
  readonly batchSize?: number;
  /**
   * At most `limit` records matching `filter`, strictly after `after` in the filter's order
   * (`started_at`, then the store's row id). Each call is a short read of its own, so an
   * export of millions of rows pages through without holding a snapshot.
   */
  select(filter: AuditFilter, after: AuditPosition | null, limit: number): Promise<AuditEntry[]>;
  /** Deletes up to `limit` of the oldest records that started before `before` (epoch ms). */
  prune(before: number, limit: number): Promise<number>;
  /**
   * Of `rows`, those the log holds already: a row with the same request id and start. Read over
   * the rows' span of time (the time index; there is no index by request id). `mindgw audit import`
   * skips them, so a file imported twice, or rows a stopped write may have stored, are stored once.
   * Optional: an import into a store without it is refused.
   */
  alreadyStored?(rows: readonly AuditRowKey[]): Promise<AuditRowKey[]>;
  /**
   * `TenantUsage` of each of `tenants` over the rows that started in [from, to), front door
   * `admin` left out, as one aggregate; a tenant without such rows is absent. It reads every row
   * of the range (a month of a busy tenant: hundreds of thousands), so a store runs it where it
   * does not hold the event loop (SQLite: on the audit thread). Optional: without it the gateway
   * sums `select`'s pages, giving the event loop back between pages (tenants/tenant-usage.ts).
   */
  tenantUsage?(tenants: readonly string[], from: number, to: number): Promise<Map<string, TenantUsage>>;
  /**
   * For a store that keeps repeated values once and rows point at them (SQLite's interned user
   * agents, models, callers): deletes up to `limit` of the values no row refers to any longer,
   * and returns how many. Retention calls it after pruning, so that values a client chooses (a
   * user agent, a model name) do not outlive the rows that carried them. Optional: a store that
   * keeps each row's values in the row needs none.
   */
  sweep?(limit: number): Promise<number>;
  /** Health: resolves when the store can take writes (a rolled-back write), throws otherwise. */
  probe(): Promise<void>;
  /**
   * Periodic upkeep the backend needs (SQLite: WAL checkpoints, a full reset while `idle`,
   * i.e. nothing queued). Optional; failures are reported and retried next time.
   */
  maintain?(idle: boolean): Promise<void>;
}

/**
 * Everything the gateway persists, one store per concern. An embedder that passes its own
 * `Storage` gets no database file of ours; the one file a gateway may still write is a stop's
 * audit rows its storage never took (`GatewayOptions.auditSpillDir`, else the working or temp
 * directory: docs/EMBEDDING.md). `close` releases the backend; the gateway flushes the audit
 * writer before calling it.
 */
export interface Storage {
  keys: KeyStore;
  spend: SpendStore;
  responses: ResponseStore;
  audit: AuditStore;
  /** Recorded shadow pairs; without one, pairs are compared and logged but not kept. */
  shadow?: ShadowStore;
  /** Who changed what through `/admin`; an in-memory log is used when a backend has none. */
  adminActions?: AdminActionStore;
  /** Web UI sessions, shared by every node on the same storage; in memory when a backend has none. */
  adminSessions?: AdminSessionStore;
  close(): Promise<void>;
}

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
  /** Newest first: at most `limit` pairs matching `filter` recorded before the pair `beforeId`. */
  list(filter: ShadowFilter, beforeId: string | null, limit: number): Promise<ShadowRecord[]>;
  /** Per model over every pair matching `filter`. */
  aggregate(filter: ShadowFilter): Promise<ShadowAggregate[]>;
  /** Deletes up to `limit` pairs recorded before `before` (epoch ms); returns how many. */
  prune(before: number, limit: number): Promise<number>;
}

/** One change an admin made (a key created, a sign-in): who did what, when, from where. */
export interface AdminAction {
  /** Epoch milliseconds. */
  at: number;
  /** Key name or OIDC user (email or subject). */
  actor: string;
  /**
   * The actor's id, as its audit rows' `keyId`: its key's id, a JWT's subject id
   * (`jwt:<tenant>:<name>`, signed into the web UI with one too), or a single sign-on user's
   * `session:<tenant>:<name>`; null in actions recorded before JWT and single sign-on actors had one.
   */
  actorKeyId: string | null;
  /** How the actor signed in: `key` (an admin key on the API), `session` (the web UI), `oidc`. */
  via: string;
  /** Dotted verb: `key.create`, `key.revoke`, `key.rotate`, `key.limits`, `session.sign_in`, `session.sign_out`. */
  action: string;
  /** What the action was applied to (a key id), when anything. */
  target: string | null;
  /** A short, secret-free description of the change (a key's name and role, a grace period). */
  detail: string | null;
  clientIp: string | null;
  requestId: string | null;
}

/** A stored action with its position: `id` grows with every append. */
export interface StoredAdminAction extends AdminAction {
  id: number;
}

/** The admin-action audit: append-only, read newest first in pages. */
export interface AdminActionStore {
  append(action: AdminAction): Promise<void>;
  /**
   * Up to `limit` actions with an id below `before` (all when absent), newest first. With `keys`,
   * only the actions on one of those keys: their `target`, or, for one with none (a sign-in), their
   * `actorKeyId` (what an admin in a tenant reads: its tenant's keys); with `actor`, only those
   * whose `actorKeyId` it is (one caller's changes). Filtered by the store, so a page is full
   * whenever that many such actions are older than `before`.
   */
  list(page: AdminActionPage): Promise<StoredAdminAction[]>;
}

/** Whether an action is on one of `keys`, as `AdminActionStore.list` filters by them. */
export function onKeyOf(action: AdminAction, keys: ReadonlySet<string>): boolean {
  const key = action.target ?? action.actorKeyId;
  return key !== null && keys.has(key);
}

/** Which admin actions `AdminActionStore.list` reads. */
export interface AdminActionPage {
  before?: number;
  limit: number;
  keys?: readonly string[];
  /** One actor's actions, by its id (`actorKeyId`): never by name, which two callers may share. */
  actor?: string;
}

/** Whether an action is one `AdminActionStore.list` reads for this page's `keys` and `actor`. */
export function inActionPage(
  action: AdminAction,
  keys: ReadonlySet<string> | undefined,
  actor?: string,
): boolean {
  return (
    (keys === undefined || onKeyOf(action, keys)) && (actor === undefined || action.actorKeyId === actor)
  );
}

/** A web UI session as stored: never the session id itself, only its SHA-256. */
export interface StoredAdminSession {
  /** Hex SHA-256 of the session id (the id lives only in the browser's HttpOnly cookie). */
  idHash: string;
  /** The CSRF token the page repeats on every call (useless without the cookie). */
  csrf: string;
  /** The signed-in principal, as JSON. */
  principal: string;
  method: "key" | "oidc";
  /** The admin key signed in with; the session ends when that key stops being active. */
  keyId: string | null;
  createdAt: number;
  expiresAt: number;
}

/** Web UI sessions by id hash; an expired session is never returned. */
export interface AdminSessionStore {
  save(session: StoredAdminSession): Promise<void>;
  /** The session with this id hash, unless it has expired by `now` (epoch ms). */
  get(idHash: string, now: number): Promise<StoredAdminSession | null>;
  delete(idHash: string): Promise<void>;
  /** Deletes every session expired by `now`; returns how many. */
  prune(now: number): Promise<number>;
}
