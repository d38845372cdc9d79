import type { Database } from "bun:sqlite";
import type { Storage } from "../storage.ts";
import { closeDatabase, type OpenDatabaseOptions, openDatabase } from "./open-database.ts";
import { createSqliteAdminActionStore } from "./sqlite-admin-action-store.ts";
import { createSqliteAdminSessionStore } from "./sqlite-admin-session-store.ts";
import { createSqliteAuditStore, type SqliteAuditStore } from "./sqlite-audit-store.ts";
import { createSqliteKeyStore } from "./sqlite-key-store.ts";
import { createSqliteResponseStore } from "./sqlite-response-store.ts";
import { createSqliteSealSecret } from "./sqlite-seal-secret.ts";
import { createSqliteShadowStore } from "./sqlite-shadow-store.ts";
import { createSqliteSpendStore } from "./sqlite-spend-store.ts";
import { createThreadedAuditStore } from "./threaded-audit-store.ts";

/**
 * The embedded default backend, one file. `db` is exposed for tests and tools that inspect the
 * file; `close` (after the audit writer has flushed) checkpoints and closes it.
 */
export interface SqliteStorage extends Storage {
  db: Database;
  audit: SqliteAuditStore;
}

export function openSqliteStorage(path: string, options: OpenDatabaseOptions = {}): SqliteStorage {
  const db = openDatabase(path, options);
  const inMemory = path === ":memory:" || path === "";
  try {
    // Audit rows are written by a thread of their own (threaded-audit-store.ts), through a
    // handle it reopens after a storage failure (a read-only handle stays read-only); reads
    // share the main handle. An in-memory database has only the one handle, on this thread.
    const threaded =
      inMemory || options.readonly ? null : createThreadedAuditStore({ path, open: options, reader: db });
    const audit = threaded ?? createSqliteAuditStore({ database: db, reader: db });
    const keys = createSqliteKeyStore(db);
    const spend = createSqliteSpendStore(db);
    return {
      db,
      // With a thread, serving writes nothing through this handle: the periodic key last-used
      // and spend writes go there too, so the event loop never waits for SQLite's write lock.
      keys: threaded ? { ...keys, touch: threaded.touchKeys } : keys,
      spend: threaded ? { ...spend, add: threaded.addSpend } : spend,
      responses: createSqliteResponseStore(db),
      // A read-only handle (CLI reports) cannot migrate; the store reads what is there: the shadow
      // pairs once a gateway has made their table (`shadow report -c`), none before.
      // Shadow pairs are written by the audit thread too, when there is one.
      ...(options.readonly
        ? hasTable(db, "shadow_pairs")
          ? { shadow: createSqliteShadowStore(db) }
          : {}
        : { shadow: createSqliteShadowStore(db, threaded?.insertShadow) }),
      audit,
      adminActions: createSqliteAdminActionStore(db),
      ...(options.readonly
        ? {}
        : { adminSessions: createSqliteAdminSessionStore(db), sealSecret: createSqliteSealSecret(db) }),
      async close() {
        await audit.close();
        closeDatabase(db);
      },
    };
  } catch (error) {
    closeDatabase(db);
    throw error;
  }
}

const hasTable = (db: Database, name: string) =>
  db.query("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== null;
