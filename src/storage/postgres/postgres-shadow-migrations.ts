import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one. Times are epoch milliseconds (BIGINT), as everywhere
// in mindgw's stores.

/** Shadow pairs: the whole record as JSON text, with the columns filters and aggregates read. */
export const shadowMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE shadow_pairs (
        seq BIGSERIAL PRIMARY KEY,
        id TEXT NOT NULL UNIQUE,
        at BIGINT NOT NULL,
        model TEXT NOT NULL,
        tenant TEXT,
        shadow_ok INTEGER NOT NULL,
        exact INTEGER,
        similarity DOUBLE PRECISION,
        shadow_json_valid INTEGER,
        tools_agree INTEGER,
        primary_latency_ms DOUBLE PRECISION NOT NULL,
        shadow_latency_ms DOUBLE PRECISION NOT NULL,
        primary_cost_usd DOUBLE PRECISION NOT NULL,
        shadow_cost_usd DOUBLE PRECISION NOT NULL,
        record TEXT NOT NULL
      );
      CREATE INDEX shadow_pairs_at ON shadow_pairs (at);
      CREATE INDEX shadow_pairs_model ON shadow_pairs (model, at);
    `,
  },
  {
    // The caller's id (`keyId`), a column to filter by. The pairs already kept have it in their
    // JSON; they are filled after this commits, in batches (postgres-shadow-backfill.ts), not here:
    // ALTER TABLE holds shadow_pairs locked against reads and writes until the migration commits,
    // under the migrations' lock and statement_timeout (a large table's pass would time out at every
    // start), and one record PostgreSQL's JSON reader refuses would fail the step, and every start.
    version: 2,
    sql: `
      ALTER TABLE shadow_pairs ADD COLUMN key_id TEXT;
      CREATE INDEX shadow_pairs_key ON shadow_pairs (key_id, at);
    `,
  },
  {
    // A pair inserted without its caller's id (a previous release's node during a rolling upgrade
    // writes no key_id) is given the one its record holds, so a filter by caller finds it too.
    // PostgreSQL's JSON reader refuses the whole text, whichever field holds it, for a \u0000 or
    // a lone surrogate (\ud83d: shadow-record.ts cuts an answer by UTF-16 units, and may cut an
    // emoji in two); such a record is read again with those escapes as U+FFFD (the answers' text
    // holds them, not the caller's id), and one still unreadable has none: never a failed write.
    version: 3,
    sql: `
      CREATE FUNCTION shadow_record_key_id(record TEXT) RETURNS TEXT
        LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN
        RETURN record::json ->> 'keyId';
      EXCEPTION WHEN others THEN
        BEGIN
          RETURN regexp_replace(record, '\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\\\\ufffd', 'g')::json
            ->> 'keyId';
        EXCEPTION WHEN others THEN
          RETURN NULL;
        END;
      END $$;
      CREATE FUNCTION shadow_pairs_key_id() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.key_id := shadow_record_key_id(NEW.record);
        RETURN NEW;
      END $$;
      CREATE TRIGGER shadow_pairs_key_id BEFORE INSERT ON shadow_pairs
        FOR EACH ROW WHEN (NEW.key_id IS NULL) EXECUTE FUNCTION shadow_pairs_key_id();
    `,
  },
  {
    // No caller is '' in key_id, not NULL, so that NULL means "not read from the record yet": this
    // release writes '' for a pair without a caller, which the trigger (WHEN key_id IS NULL) then
    // leaves alone where it parsed every such pair's record, forever; a pair an older release
    // inserts without a caller gets '' from it; the backfill (postgres-shadow-backfill.ts) fills
    // the NULLs left, and until it is done a filter by caller reads those rows' records itself.
    version: 4,
    sql: `
      CREATE OR REPLACE FUNCTION shadow_pairs_key_id() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        NEW.key_id := coalesce(shadow_record_key_id(NEW.record), '');
        RETURN NEW;
      END $$;
    `,
  },
];
