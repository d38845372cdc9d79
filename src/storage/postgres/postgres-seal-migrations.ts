import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one.

export const sealMigrations: readonly PostgresMigration[] = [
  {
    // The secret nodes without `cluster.secret` seal with: one row, made once by the first node
    // that asks (postgres-seal-secret.ts). A release before it never reads the table.
    version: 1,
    sql: `
      CREATE TABLE seal_secret (
        singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
        secret TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
];
