import { LAST_DATE_MS } from "../../core/last-date.ts";
import { OLDER_ROTATION_REFUSED } from "../older-rotation-refused.ts";
import type { Migration } from "./migrate.ts";

/** Schema of the `keys` component. Append new steps; never edit an applied one. */
export const keyMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE api_keys (
        id TEXT PRIMARY KEY,
        hash TEXT NOT NULL UNIQUE,
        prefix TEXT NOT NULL,
        last4 TEXT NOT NULL,
        name TEXT NOT NULL,
        tenant TEXT NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('admin', 'user', 'worker')),
        models TEXT NOT NULL,
        rpm INTEGER,
        tpm INTEGER,
        budget_usd REAL,
        expires_at INTEGER,
        revoked_at INTEGER,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        seq INTEGER NOT NULL
      );
      CREATE INDEX api_keys_seq ON api_keys (seq);
      CREATE INDEX api_keys_name ON api_keys (name);
    `,
  },
  {
    // The rotation chain a key belongs to (KeyRecord.chain): which keys share a spend.
    version: 2,
    sql: "ALTER TABLE api_keys ADD COLUMN chain TEXT;",
  },
  {
    // Listings page by (created_at, id), all keys or one tenant's, and the tenants report counts
    // each tenant's active keys over the partial index alone: none of them reads the table whole.
    version: 3,
    sql: `
      CREATE INDEX api_keys_created ON api_keys (created_at, id);
      CREATE INDEX api_keys_tenant_created ON api_keys (tenant, created_at, id);
      CREATE INDEX api_keys_active ON api_keys (tenant, expires_at) WHERE revoked_at IS NULL;
    `,
  },
  {
    // An expiry past the last date JavaScript can name (+275760-09-13), which a release before
    // lifetimes were bounded stored from `expires_in: 99999999d`, becomes that date: such a key
    // never ends either way, and now reads, compares and is shown as any other (core/last-date.ts).
    // A key an older node stores so during a rolling upgrade (or after a rollback) stays as stored:
    // shown as the last date (auth/key-view.ts), compared as stored (later than any other), and a
    // rotation of it hands on no more than the longest life.
    version: 4,
    sql: `UPDATE api_keys SET expires_at = ${LAST_DATE_MS} WHERE expires_at > ${LAST_DATE_MS};`,
  },
  {
    // A rotation by a release before chains shared one spend (spend@4) copies the old key's total
    // to its new key, which the spend trigger (spend@5) would add to the chain as if spent: the
    // chain charged twice. Such a release's rotation is refused here instead, loudly, before any
    // copy: its new key names a chain but not \`shares_chain_spend\`, which only a release that
    // copies nothing sets (the key stores, on every key they insert). Keys stored before keep 0:
    // only an insert is checked.
    version: 5,
    sql: `
      ALTER TABLE api_keys ADD COLUMN shares_chain_spend INTEGER NOT NULL DEFAULT 0;
      CREATE TRIGGER api_keys_copying_rotation BEFORE INSERT ON api_keys
        WHEN NEW.chain IS NOT NULL AND NEW.shares_chain_spend = 0
      BEGIN
        SELECT RAISE(ABORT, '${OLDER_ROTATION_REFUSED}');
      END;
    `,
  },
];

/** Schema of the `spend` component (running USD totals per principal). */
export const spendMigrations: readonly Migration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE key_spend (
        principal TEXT PRIMARY KEY,
        spend_usd REAL NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `,
  },
  {
    // Each write's change number, which readers follow (`changedSince`). Totals written before it
    // count as change 1: a reader from 0 reads them.
    version: 2,
    sql: `
      ALTER TABLE key_spend ADD COLUMN seq INTEGER NOT NULL DEFAULT 1;
      CREATE INDEX key_spend_seq ON key_spend (seq);
    `,
  },
  {
    // The file numbers every write itself, so an older binary on the same file (`mindgw keys`
    // from the previous release), which leaves `seq` alone, is followed too. A counter, unlike
    // MAX(seq) + 1, never hands out again the number of a removed row; SQLite's one writer at a
    // time keeps numbers in commit order.
    version: 3,
    sql: `
      CREATE TABLE key_spend_changes (n INTEGER NOT NULL);
      INSERT INTO key_spend_changes (n) SELECT COALESCE(MAX(seq), 1) FROM key_spend;
      CREATE TRIGGER key_spend_inserted AFTER INSERT ON key_spend BEGIN
        UPDATE key_spend_changes SET n = n + 1;
        UPDATE key_spend SET seq = (SELECT n FROM key_spend_changes) WHERE principal = NEW.principal;
      END;
      CREATE TRIGGER key_spend_updated AFTER UPDATE OF spend_usd ON key_spend BEGIN
        UPDATE key_spend_changes SET n = n + 1;
        UPDATE key_spend SET seq = (SELECT n FROM key_spend_changes) WHERE principal = NEW.principal;
      END;
    `,
  },
  {
    // A rotation chain's keys count their spend under its first key's id (Principal.chain), where
    // each key a rotation issued counted its own from a copy of its predecessor's total. A chain's
    // total becomes the largest of its keys' (the newest held all that was copied to it and its own
    // since), so no key's budget starts over; what an older key spent in its grace window after
    // the copy cannot be told from what was copied, and stays out (the chain had lost it already).
    // The keys component migrates first (the stores open in that order), so `chain` is there.
    version: 4,
    sql: `
      INSERT INTO key_spend (principal, spend_usd, updated_at)
        SELECT k.chain, MAX(s.spend_usd), CAST(strftime('%s', 'now') AS INTEGER) * 1000
        FROM api_keys k JOIN key_spend s ON s.principal = k.id
        WHERE k.chain IS NOT NULL AND k.chain <> k.id
        GROUP BY k.chain
      ON CONFLICT (principal) DO UPDATE SET spend_usd = excluded.spend_usd, updated_at = excluded.updated_at
        WHERE excluded.spend_usd > key_spend.spend_usd;
    `,
  },
  {
    // Every write under a rotated key's own id is added to the key's chain as well, here in the
    // write's own transaction, whoever makes it: the trigger cannot tell releases apart. A release
    // before spend@4 counts a rotated key's spend there (during a rolling upgrade, an older
    // `mindgw keys` on the file, after a rollback); this release never does (every principal for an
    // API key carries its chain: auth/key-chains.ts for an embedder's authenticator), and an older
    // release's rotation, whose copy of the old key's total would land here, is refused (keys@5).
    // So the chain's total misses none of that spend and counts it once, whenever it comes (a
    // rollback and a second upgrade included: the fold above runs once, this for good). The key's
    // own row grows as before, which is what an older release reads back. A chain's first key is
    // its chain: nothing to add.
    version: 5,
    sql: `
      CREATE TRIGGER key_spend_chain_inserted AFTER INSERT ON key_spend
        WHEN NEW.spend_usd > 0
          AND EXISTS (SELECT 1 FROM api_keys WHERE id = NEW.principal AND chain IS NOT NULL AND chain <> id)
      BEGIN
        INSERT INTO key_spend (principal, spend_usd, updated_at)
          SELECT chain, NEW.spend_usd, NEW.updated_at FROM api_keys WHERE id = NEW.principal
        ON CONFLICT (principal) DO UPDATE
          SET spend_usd = spend_usd + excluded.spend_usd, updated_at = excluded.updated_at;
      END;
      CREATE TRIGGER key_spend_chain_updated AFTER UPDATE OF spend_usd ON key_spend
        WHEN NEW.spend_usd > OLD.spend_usd
          AND EXISTS (SELECT 1 FROM api_keys WHERE id = NEW.principal AND chain IS NOT NULL AND chain <> id)
      BEGIN
        INSERT INTO key_spend (principal, spend_usd, updated_at)
          SELECT chain, NEW.spend_usd - OLD.spend_usd, NEW.updated_at FROM api_keys WHERE id = NEW.principal
        ON CONFLICT (principal) DO UPDATE
          SET spend_usd = spend_usd + excluded.spend_usd, updated_at = excluded.updated_at;
      END;
    `,
  },
];
