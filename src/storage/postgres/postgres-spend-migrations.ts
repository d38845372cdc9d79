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
  {
    // A rotation chain's keys count their spend under its first key's id (Principal.chain), where
    // each key a rotation issued counted its own from a copy of its predecessor's total. A chain's
    // total becomes the largest of its keys' (the newest held all that was copied to it and its own
    // since), so no key's budget starts over; what an older key spent in its grace window after
    // the copy cannot be told from what was copied, and stays out (the chain had lost it already).
    // The keys component migrates first (the stores open in that order), so `chain` is there.
    // It reads the rotated keys (those with a chain) and their totals once: no table is rewritten.
    // The table is locked against writes first (the migrations' transaction holds it to commit):
    // an older node's spend added to a first key's row between the read and the write would
    // otherwise be overwritten by the largest total read before it.
    version: 5,
    sql: `
      LOCK TABLE key_spend IN SHARE ROW EXCLUSIVE MODE;
      INSERT INTO key_spend (principal, spend_usd, updated_at)
        SELECT k.chain, MAX(s.spend_usd), (EXTRACT(EPOCH FROM clock_timestamp()) * 1000)::BIGINT
        FROM api_keys k JOIN key_spend s ON s.principal = k.id
        WHERE k.chain IS NOT NULL AND k.chain <> k.id
        GROUP BY k.chain
      ON CONFLICT (principal) DO UPDATE SET spend_usd = EXCLUDED.spend_usd, updated_at = EXCLUDED.updated_at
        WHERE EXCLUDED.spend_usd > key_spend.spend_usd;
    `,
  },
  {
    // Every write under a rotated key's own id is added to the key's chain as well, in the write's
    // own transaction, whoever makes it: the trigger cannot tell releases apart. A node of a
    // release before spend@5 counts a rotated key's spend there (during a rolling upgrade, after a
    // rollback); this release never does (every principal for an API key carries its chain:
    // auth/key-chains.ts for an embedder's authenticator), and an older release's rotation, whose
    // copy of the old key's total would land here, is refused (keys@6). So the chain's total misses
    // none of that spend and counts it once, whenever it comes (a rollback and a second upgrade
    // included: the fold above runs once, this for good). The key's own row grows as before, which
    // is what an older node reads back.
    // A chain's first key is its chain: nothing to add. AFTER row triggers run once the statement
    // has written every row, so the add below never meets a row the flush itself is writing.
    version: 6,
    sql: `
      CREATE FUNCTION key_spend_to_chain() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE
        added DOUBLE PRECISION := NEW.spend_usd - CASE WHEN TG_OP = 'UPDATE' THEN OLD.spend_usd ELSE 0 END;
        first_key TEXT;
      BEGIN
        IF added <= 0 THEN RETURN NULL; END IF;
        SELECT chain INTO first_key FROM api_keys WHERE id = NEW.principal AND chain IS NOT NULL AND chain <> id;
        IF first_key IS NULL THEN RETURN NULL; END IF;
        INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES (first_key, added, NEW.updated_at)
          ON CONFLICT (principal) DO UPDATE
          SET spend_usd = key_spend.spend_usd + EXCLUDED.spend_usd, updated_at = EXCLUDED.updated_at;
        RETURN NULL;
      END $$;
      CREATE TRIGGER key_spend_to_chain AFTER INSERT OR UPDATE OF spend_usd ON key_spend
        FOR EACH ROW EXECUTE FUNCTION key_spend_to_chain();
    `,
  },
  {
    // The trigger above ran its function, and its read of api_keys, for every row of every flush,
    // inside the spend lock every node's flush waits on: a tenant's budget period (\`tenant:…\`)
    // and a JWT subject (\`jwt:…\`) too, most of the rows, which no rotation chain holds. It now
    // runs only for a write that adds to an API key's id (\`key_…\`): the same work, asked in the
    // trigger's WHEN, which costs no function call.
    version: 7,
    sql: `
      DROP TRIGGER key_spend_to_chain ON key_spend;
      CREATE TRIGGER key_spend_to_chain_inserted AFTER INSERT ON key_spend
        FOR EACH ROW WHEN (NEW.spend_usd > 0 AND left(NEW.principal, 4) = 'key_')
        EXECUTE FUNCTION key_spend_to_chain();
      CREATE TRIGGER key_spend_to_chain_updated AFTER UPDATE OF spend_usd ON key_spend
        FOR EACH ROW WHEN (NEW.spend_usd > OLD.spend_usd AND left(NEW.principal, 4) = 'key_')
        EXECUTE FUNCTION key_spend_to_chain();
    `,
  },
];
