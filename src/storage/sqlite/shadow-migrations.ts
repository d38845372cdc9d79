import type { Migration } from "./migrate.ts";

/**
 * Schema of the `shadow` component. The whole record is kept as JSON; the columns beside it
 * are what filters and per-model aggregates read. Append new steps; never edit an applied one.
 */
export const shadowMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE shadow_pairs (
        seq INTEGER PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at INTEGER NOT NULL,
        model TEXT NOT NULL,
        tenant TEXT,
        shadow_ok INTEGER NOT NULL,
        exact INTEGER,
        similarity REAL,
        shadow_json_valid INTEGER,
        tools_agree INTEGER,
        primary_latency_ms REAL NOT NULL,
        shadow_latency_ms REAL NOT NULL,
        primary_cost_usd REAL NOT NULL,
        shadow_cost_usd REAL NOT NULL,
        record TEXT NOT NULL
      );
      CREATE INDEX shadow_pairs_at ON shadow_pairs (at);
      CREATE INDEX shadow_pairs_model ON shadow_pairs (model, at);
    `,
  },
  {
    // The caller's id (`keyId`), a column to filter by; the pairs already kept have it in their JSON.
    version: 2,
    sql: `
      ALTER TABLE shadow_pairs ADD COLUMN key_id TEXT;
      UPDATE shadow_pairs SET key_id = json_extract(record, '$.keyId');
      CREATE INDEX shadow_pairs_key ON shadow_pairs (key_id, at);
    `,
  },
  {
    // A pair inserted without its caller's id (a previous release writing to this file after
    // migration 2 ran: a rollback, or an older server still serving when a newer one migrated it)
    // is given the one its record holds, so a filter by caller finds it too; the pairs written so
    // before this step are filled here. A record json_extract cannot read has none: never a failed
    // write.
    version: 3,
    sql: `
      CREATE TRIGGER shadow_pairs_key_id AFTER INSERT ON shadow_pairs
        FOR EACH ROW WHEN NEW.key_id IS NULL AND json_valid(NEW.record)
      BEGIN
        UPDATE shadow_pairs SET key_id = json_extract(NEW.record, '$.keyId') WHERE seq = NEW.seq;
      END;
      UPDATE shadow_pairs SET key_id = json_extract(record, '$.keyId')
        WHERE key_id IS NULL AND json_valid(record);
    `,
  },
  {
    // No caller is '' in key_id, as on PostgreSQL (its shadow migration 4): this release writes ''
    // for a pair without a caller, which the trigger (WHEN key_id IS NULL) then leaves alone where it
    // read every such pair's record; a pair an older release inserts without one gets '' from it.
    // NULL is left to a record json_extract cannot read.
    version: 4,
    sql: `
      DROP TRIGGER shadow_pairs_key_id;
      CREATE TRIGGER shadow_pairs_key_id AFTER INSERT ON shadow_pairs
        FOR EACH ROW WHEN NEW.key_id IS NULL AND json_valid(NEW.record)
      BEGIN
        UPDATE shadow_pairs SET key_id = coalesce(json_extract(NEW.record, '$.keyId'), '') WHERE seq = NEW.seq;
      END;
      UPDATE shadow_pairs SET key_id = '' WHERE key_id IS NULL AND json_valid(record);
    `,
  },
];
