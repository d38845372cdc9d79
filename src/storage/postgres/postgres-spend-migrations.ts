import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one. Times are epoch milliseconds (BIGINT), as everywhere
// in mindgw's stores.

/** Serialises spend writes so `seq` is also commit order ("mgws" as an int). */
const SPEND_CHANGE_LOCK = 0x6d677773;

export const spendMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE key_spend (
        principal TEXT PRIMARY KEY,
        spend_usd DOUBLE PRECISION NOT NULL,
        updated_at BIGINT NOT NULL
      );
    `,
  },
  {
    // Each write's change number, which nodes follow (`changedSince`). Totals written before it
    // count as change 1: a reader from 0 reads them.
    version: 2,
    sql: `
      ALTER TABLE key_spend ADD COLUMN seq BIGINT NOT NULL DEFAULT 1;
      CREATE INDEX key_spend_seq ON key_spend (seq);
    `,
  },
  {
    // The database numbers every write itself, so the previous release's nodes, which leave
    // `seq` alone, are followed too during a rolling upgrade. The advisory lock is held to
    // commit, so numbers commit in order and a reader that has read up to N never later finds a
    // smaller one appear; a sequence, unlike MAX(seq) + 1, never hands out again the number of a
    // removed row.
    version: 3,
    sql: `
      CREATE SEQUENCE key_spend_changes;
      SELECT setval('key_spend_changes', GREATEST((SELECT MAX(seq) FROM key_spend), 1));
      CREATE FUNCTION key_spend_number() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        PERFORM pg_advisory_xact_lock(${SPEND_CHANGE_LOCK});
        NEW.seq := nextval('key_spend_changes');
        RETURN NEW;
      END $$;
      CREATE TRIGGER key_spend_number BEFORE INSERT OR UPDATE ON key_spend
        FOR EACH ROW EXECUTE FUNCTION key_spend_number();
    `,
  },
  {
    // The flushes already added, by id: a flush sent again after the database never confirmed
    // it (it may have landed) adds nothing the second time.
    version: 4,
    sql: `
      CREATE TABLE key_spend_flushes (
        id TEXT PRIMARY KEY,
        at BIGINT NOT NULL
      );
      CREATE INDEX key_spend_flushes_at ON key_spend_flushes (at);
    `,
  },
];
