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
  {
    // One actor's actions (the Activity page's choice of a caller), read down its own index.
    version: 2,
    sql: "CREATE INDEX admin_actions_actor ON admin_actions (actor_key_id, id);",
  },
];
