import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one. Times are epoch milliseconds (BIGINT), as everywhere
// in mindgw's stores.

/** The admin-action audit (`Storage.adminActions`): who changed what through /admin. */
export const adminActionMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE admin_actions (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
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
