import type { Migration } from "./migrate.ts";

/** Schema of the `admin_sessions` component. Append new steps; never edit an applied one. */
export const adminSessionMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE admin_sessions (
        id_hash TEXT PRIMARY KEY,
        csrf TEXT NOT NULL,
        principal TEXT NOT NULL,
        method TEXT NOT NULL,
        key_id TEXT,
        created_at INTEGER NOT NULL,
        expires_at INTEGER NOT NULL
      );
      CREATE INDEX admin_sessions_expires ON admin_sessions(expires_at);
    `,
  },
  {
    // Last use, for `admin_ui.session_idle_timeout`; null in the rows before it (their sign-in).
    version: 2,
    sql: "ALTER TABLE admin_sessions ADD COLUMN used_at INTEGER;",
  },
];
