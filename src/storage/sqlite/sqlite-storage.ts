import type { Database } from "bun:sqlite";
import type { Storage } from "../storage.ts";
import { closeDatabase, type OpenDatabaseOptions, openDatabase } from "./open-database.ts";
import { createSqliteAdminActionStore } from "./sqlite-admin-action-store.ts";
import { createSqliteKeyStore } from "./sqlite-key-store.ts";
import { createSqliteResponseStore } from "./sqlite-response-store.ts";
import { createSqliteSpendStore } from "./sqlite-spend-store.ts";

/**
 * The embedded default backend. `db` is exposed so other concerns (audit)
 * can run `migrate(db, "<component>", ...)` and build their stores on the same file; they
 * must be flushed before `close`, which checkpoints and closes the database.
 */
export interface SqliteStorage extends Storage {
  db: Database;
}

export function openSqliteStorage(path: string, options: OpenDatabaseOptions = {}): SqliteStorage {
  const db = openDatabase(path, options);
  try {
    return {
      db,
      keys: createSqliteKeyStore(db),
      spend: createSqliteSpendStore(db),
      responses: createSqliteResponseStore(db),
      adminActions: createSqliteAdminActionStore(db),
      async close() {
        closeDatabase(db);
      },
    };
  } catch (error) {
    closeDatabase(db);
    throw error;
  }
}
