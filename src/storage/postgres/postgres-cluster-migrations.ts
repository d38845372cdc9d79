import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one.

export const clusterMigrations: readonly PostgresMigration[] = [
  {
    // The identity of the cluster whose nodes share this database: one row, its id made once
    // (postgres-cluster-id.ts). A release before it never reads the table.
    version: 1,
    sql: `
      CREATE TABLE cluster_meta (
        singleton BOOLEAN PRIMARY KEY DEFAULT TRUE CHECK (singleton),
        cluster_id TEXT NOT NULL,
        created_at BIGINT NOT NULL
      );
    `,
  },
];
