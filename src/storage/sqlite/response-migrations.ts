import type { Migration } from "./migrate.ts";

/** Schema of the `responses` component. Append new steps; never edit an applied one. */
export const responseMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE stored_responses (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        response TEXT NOT NULL,
        items TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX stored_responses_created ON stored_responses (created_at);
    `,
  },
  {
    version: 2,
    sql: "ALTER TABLE stored_responses ADD COLUMN holder TEXT;",
  },
  {
    // The response a row continues: a row holds its own turn only, and a chain is read by
    // following these back. Rows stored before have none, and each holds its whole conversation.
    version: 3,
    sql: "ALTER TABLE stored_responses ADD COLUMN previous_id TEXT;",
  },
];
