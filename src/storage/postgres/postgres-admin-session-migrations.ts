import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one. Times are epoch milliseconds (BIGINT), as everywhere
// in mindgw's stores.

/** Web UI sessions (`Storage.adminSessions`), shared by every node: only the id's hash is kept. */
export const adminSessionMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE admin_sessions (
        id_hash TEXT PRIMARY KEY,
        csrf TEXT NOT NULL,
        principal TEXT NOT NULL,
        method TEXT NOT NULL,
        key_id TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);
    `,
  },
  {
    // Last use, for `admin_ui.session_idle_timeout`; null in the rows before it (their sign-in).
    version: 2,
    sql: "ALTER TABLE admin_sessions ADD COLUMN used_at BIGINT;",
  },
];
