/**
 * The audit thread: a Worker with its own SQLite handle that does every audit write (batched
 * inserts, retention deletes, WAL checkpoints), so that a flush never holds the gateway's event
 * loop. Requests run one at a time, in the order they were posted (serve-audit-thread.ts).
 */

import type { Database } from "bun:sqlite";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { ShadowRecord } from "../../shadow/shadow-api-schema.ts";
import type { AuditThreadRequest } from "../audit-thread-protocol.ts";
import { serveAuditThread } from "../serve-audit-thread.ts";
import { closeDatabase, type OpenDatabaseOptions, openDatabase } from "./open-database.ts";
import { type ShadowRow, shadowInserter, shadowRow } from "./shadow-inserter.ts";
import { createSqliteAuditStore, type SqliteAuditStore } from "./sqlite-audit-store.ts";
import { sqliteCode } from "./storage-failure.ts";

let store: SqliteAuditStore | null = null;
let opening: { path: string; options: OpenDatabaseOptions } | null = null;
/** A handle of its own for shadow pairs, opened with the first batch; dropped after a failure. */
let shadow: { db: Database; insert: (rows: readonly ShadowRow[]) => void } | null = null;

function writeShadow(rows: readonly ShadowRow[]): void {
  if (opening === null) throw new Error("the audit thread was not opened");
  if (shadow === null) {
    const db = openDatabase(opening.path, opening.options);
    shadow = { db, insert: shadowInserter(db) };
  }
  try {
    shadow.insert(rows);
  } catch (error) {
    // Reopened on the next batch: a handle that failed (read-only, disk gone) may stay failed.
    closeDatabase(shadow.db);
    shadow = null;
    throw error;
  }
}

function opened(): SqliteAuditStore {
  if (store === null) throw new Error("the audit thread was not opened");
  return store;
}

async function run(request: AuditThreadRequest): Promise<unknown> {
  switch (request.op) {
    case "open": {
      const { path, options } = request;
      opening = { path, options };
      // A factory, so that the store reopens the file after a storage failure.
      store = createSqliteAuditStore({ database: () => openDatabase(path, options) });
      return undefined;
    }
    case "insert":
      return opened().insert(JSON.parse(request.records) as AuditRecord[]);
    case "shadow":
      return writeShadow((JSON.parse(request.records) as ShadowRecord[]).map(shadowRow));
    case "prune":
      return opened().prune(request.before, request.limit);
    case "probe":
      return opened().probe();
    case "maintain":
      return opened().maintain?.(request.idle);
    case "open-postgres":
      throw new Error("this is the SQLite audit thread");
    case "close":
      if (shadow) closeDatabase(shadow.db);
      shadow = null;
      await store?.close();
      store = null;
      return undefined;
  }
}

serveAuditThread(run, sqliteCode);
