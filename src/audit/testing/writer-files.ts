import type { Database } from "bun:sqlite";
import { afterEach } from "bun:test";
import { join } from "node:path";
import { openDatabase } from "../../storage/sqlite/open-database.ts";
import {
  createSqliteAuditStore,
  type SqliteAuditStoreOptions,
} from "../../storage/sqlite/sqlite-audit-store.ts";
import { tempDir } from "../audit-fixture.ts";

// The SQLite audit logs the audit-writer*.test.ts files write to, and how they count its rows.

/**
 * Registers the hook that removes, after each test, the files and stores the test made; returns
 * their makers.
 */
export function writerFiles() {
  const cleanups: (() => void)[] = [];
  afterEach(() => {
    for (const cleanup of cleanups.splice(0)) cleanup();
  });

  /** A fresh audit database's path, in a directory of the test's own. */
  function dbPath(): string {
    const dir = tempDir();
    cleanups.push(dir.cleanup);
    return join(dir.path, "audit.db");
  }

  /** The SQLite audit store over a handle or a factory, closed after the test. */
  function sqlite(database: SqliteAuditStoreOptions["database"]) {
    const store = createSqliteAuditStore({ database });
    cleanups.unshift(() => store.close());
    return store;
  }

  return { dbPath, sqlite };
}

export function countRows(path: string, table = "audit_log"): number {
  const db = openDatabase(path, { readonly: true });
  try {
    return db.query<{ n: number }, []>(`SELECT count(*) AS n FROM ${table}`).get()!.n;
  } finally {
    db.close();
  }
}

/** Creates the file with its audit tables. */
export async function createLog(path: string): Promise<void> {
  const store = createSqliteAuditStore({ database: () => openDatabase(path) });
  await store.probe();
  store.close();
}

/** The rows of an open database's audit_log. */
export const rowCount = (db: Database) =>
  db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_log").get()!.n;
