import { closeDatabase, openDatabase } from "../../storage/sqlite/open-database.ts";
import { createSqliteAuditStore, type SqliteAuditStore } from "../../storage/sqlite/sqlite-audit-store.ts";
import { requireDatabaseFile } from "../config-store.ts";

/** An audit store read from a SQLite file without writing to it; `close` releases the file. */
export interface ReadOnlyAudit {
  readonly store: SqliteAuditStore;
  close(): void;
}

/**
 * The audit log of a SQLite file, opened read-only: a query never writes, and it runs beside a
 * gateway serving from the same file (WAL readers do not block the writer). The handle is the
 * store's reader, never its writer: the writer would first create the audit tables, which a file
 * only `mindgw keys create -c` has touched does not have yet, and fail on a read-only handle. The
 * reader reads such a file as an empty log.
 */
export function openReadOnlyAudit(path: string): ReadOnlyAudit {
  requireDatabaseFile(path);
  const file = openDatabase(path, { readonly: true });
  const store = createSqliteAuditStore({ database: file, reader: file });
  return {
    store,
    close() {
      store.close();
      closeDatabase(file);
    },
  };
}
