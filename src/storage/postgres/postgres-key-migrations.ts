import { LAST_DATE_MS } from "../../core/last-date.ts";
import { OLDER_ROTATION_REFUSED } from "../older-rotation-refused.ts";
import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one. Times are epoch milliseconds (BIGINT), as everywhere
// in mindgw's stores.

export const keyMigrations: readonly PostgresMigration[] = [
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
        tpm BIGINT,
        budget_usd DOUBLE PRECISION,
        expires_at BIGINT,
        revoked_at BIGINT,
        created_at BIGINT NOT NULL,
        last_used_at BIGINT,
        seq BIGINT NOT NULL
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
    // Whether a key's models are still as an admin read them (KeyStore.setLimits), as JSON, not as
    // spelt, and never failing: JSONB refuses a model glob holding \u0000 or a lone surrogate, which
    // failed every change of such a key's limits. Texts alike match before either is parsed; one
    // PostgreSQL cannot read matches no other text.
    version: 4,
    sql: `
      CREATE FUNCTION api_key_models_match(stored TEXT, read TEXT) RETURNS boolean
        LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN
        IF stored = read THEN
          RETURN true;
        END IF;
        RETURN stored::jsonb = read::jsonb;
      EXCEPTION WHEN others THEN
        RETURN false;
      END $$;
    `,
  },
  {
    // An expiry past the last date JavaScript can name (+275760-09-13), which a release before
    // lifetimes were bounded stored from `expires_in: 99999999d`, becomes that date: such a key
    // never ends either way, and now reads, compares and is shown as any other (core/last-date.ts).
    // A key an older node stores so during a rolling upgrade (or after a rollback) stays as stored:
    // shown as the last date (auth/key-view.ts), compared as stored (later than any other), and a
    // rotation of it hands on no more than the longest life.
    version: 5,
    sql: `UPDATE api_keys SET expires_at = ${LAST_DATE_MS} WHERE expires_at > ${LAST_DATE_MS};`,
  },
  {
    // A rotation by a release before chains shared one spend (spend@5) copies the old key's total
    // to its new key, which the spend trigger (spend@6) would add to the chain as if spent: the
    // chain charged twice. Such a release's rotation is refused here instead, loudly, before any
    // copy: its new key names a chain but not \`shares_chain_spend\`, which only a release that
    // copies nothing sets (the key store, on every key it inserts). Keys stored before keep false:
    // only an insert is checked.
    version: 6,
    sql: `
      ALTER TABLE api_keys ADD COLUMN shares_chain_spend BOOLEAN NOT NULL DEFAULT false;
      CREATE FUNCTION api_keys_refuse_copying_rotation() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION '${OLDER_ROTATION_REFUSED}' USING ERRCODE = 'check_violation';
      END $$;
      CREATE TRIGGER api_keys_copying_rotation BEFORE INSERT ON api_keys
        FOR EACH ROW WHEN (NEW.chain IS NOT NULL AND NOT NEW.shares_chain_spend)
        EXECUTE FUNCTION api_keys_refuse_copying_rotation();
    `,
  },
];
