import type { AuditPosition } from "../audit/audit-cursor.ts";
import type { AuditFilter } from "../audit/audit-query-schema.ts";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { AuditRowKey } from "../audit/audit-row-key.ts";

/** A record the store refused, as its log line names it (audit/refused-rows-log.ts). */
export interface RefusedRow {
  readonly requestId: string;
  /** What the database named: its code, the constraint or column. Never a value of the row. */
  readonly reason: string;
}

/** What one `AuditStore.insert` did. */
export interface AuditBatchResult {
  written: number;
  /** Records the store refused on their own (a value it cannot hold); they are dropped. */
  rejected: number;
  /**
   * The refused records, named: optional (a store that names none has its count logged alone);
   * absent when none was refused.
   */
  refused?: RefusedRow[];
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
   * export of millions of rows pages through without holding a snapshot (and so a row written
   * between two calls, behind `after`, is not among the later ones: audit/audit-query.ts).
   */
  select(filter: AuditFilter, after: AuditPosition | null, limit: number): Promise<AuditEntry[]>;
  /** Deletes up to `limit` of the oldest records that started before `before` (epoch ms). */
  prune(before: number, limit: number): Promise<number>;
  /**
   * The keys of the stored rows that have the request id and start of one of `rows`, one per
   * stored row: two requests with one client-sent request id in one millisecond are two rows with
   * one key, and the import counts them. Read over the rows' span of time (the time index; there
   * is no index by request id). `mindgw audit import` skips as many of its records with a key as
   * the log holds rows with it, so a file imported twice, or rows a stopped write may have stored,
   * are stored once. Optional: an import into a store without it is refused. (Before this release
   * it answered the asked rows held, each once; a store still answering so has every asked record
   * with a held key counted as held, so of same-key records only the ones stored before stay.)
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
   * i.e. nothing queued and no batch being written). Optional; failures are reported and retried
   * next time.
   */
  maintain?(idle: boolean): Promise<void>;
}
