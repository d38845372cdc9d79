import type { Migration } from "./migrate.ts";

/** Schema of the `admin_actions` component. Append new steps; never edit an applied one. */
export const adminActionMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE admin_actions (
        id INTEGER PRIMARY KEY,
        at INTEGER NOT NULL,
        actor TEXT NOT NULL,
        actor_key_id TEXT,
        via TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT,
        client_ip TEXT,
        request_id TEXT
      );
    `,
  },
];
