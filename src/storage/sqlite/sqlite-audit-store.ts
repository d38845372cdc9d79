import type { Database } from "bun:sqlite";
import type { AuditRowFields } from "../../audit/audit-row-fields.ts";
import type { AuditRowKey } from "../../audit/audit-row-key.ts";
import { rowKeyText } from "../../audit/audit-row-key.ts";
import { auditRowSpan } from "../audit-row-span.ts";
import type { AuditBatchResult, AuditStore } from "../storage.ts";
import { AuditInserter } from "./audit-inserter.ts";
import {
  APP_AUDIT_SCHEMA,
  auditSchemaVersion,
  LATEST_AUDIT_SCHEMA,
  MIN_READ_AUDIT_SCHEMA,
  prepareAuditDatabase,
} from "./audit-migrations.ts";
import { type AuditRow, drivingValues, rowToRecord, selectPage } from "./audit-select.ts";
import { tenantUsageOf } from "./audit-tenant-usage.ts";
import { FileIdentity } from "./file-identity.ts";
import { sweepInterned } from "./interned-sweep.ts";
import { WalCheckpointer } from "./wal-checkpointer.ts";

export interface SqliteAuditStoreOptions {
  /**
   * The handle audit rows are written with, or how to open it. With a factory the store reopens
   * the file after a storage failure (a file made writable again, a remounted disk), since a
   * handle opened read-only stays read-only; a handle passed in is retried as is and left open
   * on close() for its owner.
   */
  database: Database | (() => Database);
  /** Reads and WAL checkpoints use this handle; by default the write handle. */
  reader?: Database;
  /** The file `database` opens: its writes are refused once it is replaced or deleted (file-identity.ts). */
  path?: string;
}

export interface SqliteAuditStore extends AuditStore {
  alreadyStored(rows: readonly AuditRowKey[]): Promise<AuditRowKey[]>;
  /**
   * Releases the write handle (if the store opened it), after a WAL checkpoint. The reader
   * stays its owner's. The threaded store resolves once its thread has closed.
   */
  close(): void | Promise<void>;
}

interface Connection {
  db: Database;
  inserter: AuditInserter;
}

/** Thrown to roll the probe's transaction back. */
class ProbeDone extends Error {}

/**
 * The store as the audit thread uses it (audit-thread.ts): `insertRows` takes a batch as its rows'
 * fields (`parseAuditBatch`), no record objects. Not `insertEncoded`, which would make an audit
 * writer on the store's own thread encode every record only for the store to parse it back.
 */
export interface RowsAuditStore extends SqliteAuditStore {
  insertRows(rows: readonly AuditRowFields[]): Promise<AuditBatchResult>;
  tenantUsage: NonNullable<AuditStore["tenantUsage"]>;
  sweep(limit: number): Promise<number>;
}

/** The audit log in SQLite: interned metadata, bodies in their own table, keyset reads. */
export function createSqliteAuditStore(options: SqliteAuditStoreOptions): RowsAuditStore {
  const source = options.database;
  let conn: Connection | null = null;
  let readerReady = false;
  /** Whether the log read has `audit_log.app` (false only for an older file read as it is). */
  let hasApp = true;
  let checkpointer: WalCheckpointer | null = null;
  let identity: FileIdentity | undefined;

  const connection = (): Connection => {
    if (conn !== null) return conn;
    let db: Database | null = null;
    try {
      // A reopen after a storage failure must find the file first opened, checked before opening:
      // the open creates a database where one was removed, and takes a restored one read-write.
      identity?.check();
      db = typeof source === "function" ? source() : source;
      if (options.path !== undefined) identity ??= new FileIdentity(options.path);
      identity?.check();
      prepareAuditDatabase(db);
      conn = { db, inserter: new AuditInserter(db) };
      return conn;
    } catch (error) {
      if (db !== null && typeof source === "function") db.close();
      throw error;
    }
  };
  const disconnect = () => {
    const current = conn;
    conn = null;
    if (current === null) return;
    current.inserter.finalize();
    if (typeof source === "function") current.db.close();
  };
  /** A write that fails drops the connection, so the next attempt reopens. */
  const writing = <T>(work: (c: Connection) => T): T => {
    try {
      const current = connection();
      identity?.check();
      return work(current);
    } catch (error) {
      disconnect();
      throw error;
    }
  };
  const reader = (): Database | null => {
    const db = options.reader ?? connection().db;
    if (readerReady) return db;
    const version = auditSchemaVersion(db);
    if (version < LATEST_AUDIT_SCHEMA) {
      try {
        prepareAuditDatabase(db);
      } catch {
        // A read-only file that `serve` never ran on has no audit tables yet: an empty log.
        if (version === 0) return null;
        // One an older mindgw wrote may lack columns every read names: say so, not `no such column`.
        if (version < MIN_READ_AUDIT_SCHEMA)
          throw new Error(
            `the database's audit schema is v${version}, this mindgw reads v${MIN_READ_AUDIT_SCHEMA} or later: start \`mindgw serve\` once to migrate it`,
          );
        hasApp = version >= APP_AUDIT_SCHEMA;
      }
    }
    readerReady = true;
    return db;
  };

  return {
    async insert(records) {
      return writing((c) => c.inserter.insertBatch(records));
    },
    async insertRows(rows) {
      return writing((c) => c.inserter.insertRows(rows));
    },
    async select(filter, after, limit) {
      const db = reader();
      if (db === null) return [];
      const drive = drivingValues(db, filter);
      if (drive?.values.length === 0) return [];
      const { sql, params } = selectPage(filter, after, limit, drive, hasApp);
      return db
        .query<AuditRow, typeof params>(sql)
        .all(...params)
        .map((row) => ({ record: rowToRecord(row), position: { startedAt: row.started_at, id: row.id } }));
    },
    async tenantUsage(tenants, from, to) {
      const db = reader();
      return db === null ? new Map() : tenantUsageOf(db, tenants, from, to);
    },
    async prune(before, limit) {
      return writing((c) => pruneBatch(c.db, before, limit));
    },
    async alreadyStored(rows) {
      const span = auditRowSpan(rows);
      const db = span && reader();
      if (!span || !db) return [];
      const stored = db
        .query<AuditRowKey, [number, number, string]>(ALREADY_STORED)
        .all(span.from, span.to, JSON.stringify(span.requestIds));
      // One key per stored row (two requests may share one): those of the keys asked for.
      const asked = new Set(rows.map(rowKeyText));
      return stored.filter((row) => asked.has(rowKeyText(row)));
    },
    async sweep(limit) {
      return writing((c) => {
        const swept = sweepInterned(c.db, limit);
        // Its cache may hold a value just deleted: one used again is interned anew.
        if (swept > 0) c.inserter.forget();
        return swept;
      });
    },
    async probe() {
      writing((c) => {
        try {
          c.db.transaction(() => {
            c.db.run("INSERT INTO audit_strings (value) VALUES ('probe:' || random())");
            throw new ProbeDone();
          })();
        } catch (error) {
          if (!(error instanceof ProbeDone)) throw error;
        }
      });
    },
    async maintain(idle) {
      const db = options.reader ?? conn?.db;
      if (db === undefined) return;
      checkpointer ??= new WalCheckpointer(db);
      checkpointer.checkpoint(idle);
    },
    close() {
      const current = conn;
      if (current !== null && typeof source === "function") {
        try {
          current.db.run("PRAGMA wal_checkpoint(TRUNCATE)");
        } catch {
          // The rows are committed in the WAL already; a failed checkpoint loses nothing.
        }
      }
      disconnect();
    },
  };
}

/** The rows among some request ids started within a span: the time index, then the ids. */
const ALREADY_STORED = `SELECT request_id AS requestId, started_at AS startedAt FROM audit_log
  WHERE started_at BETWEEN ? AND ? AND request_id IN (SELECT value FROM json_each(?))`;

/** Retention's read: the oldest rows that started before a cutoff (the time index, in order). */
export const OLDEST_BEFORE = "SELECT id FROM audit_log WHERE started_at < ? ORDER BY started_at, id LIMIT ?";

/** Deletes up to `limit` of the oldest rows that started before `cutoff`, bodies included. */
function pruneBatch(db: Database, cutoff: number, limit: number): number {
  const ids = db
    .query<{ id: number }, [number, number]>(OLDEST_BEFORE)
    .all(cutoff, limit)
    .map((row) => row.id);
  if (ids.length === 0) return 0;
  const list = JSON.stringify(ids);
  db.transaction(() => {
    db.run("DELETE FROM audit_bodies WHERE log_id IN (SELECT value FROM json_each(?))", [list]);
    db.run("DELETE FROM audit_log WHERE id IN (SELECT value FROM json_each(?))", [list]);
  })();
  return ids.length;
}
