import type { Migration } from "./migrate.ts";

/** Schema of the `seal` component. Append new steps; never edit an applied one. */
export const sealMigrations: readonly Migration[] = [
  {
    // The secret a node without `cluster.secret` seals with, one row made once
    // (sqlite-seal-secret.ts). A release before it never reads the table.
    version: 1,
    sql: `
      CREATE TABLE seal_secret (
        singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
        secret TEXT NOT NULL,
        created_at INTEGER NOT NULL
      );
    `,
  },
];
