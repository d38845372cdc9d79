import type { PostgresMigration } from "./postgres-migrate.ts";

// One list per component, as in SQLite. Append new steps; never edit an applied one.
// Times are epoch milliseconds (BIGINT), as everywhere in mindgw's stores.

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
];

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

/** The admin-action audit (`Storage.adminActions`): who changed what through /admin. */
export const adminActionMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE admin_actions (
        id BIGSERIAL PRIMARY KEY,
        at BIGINT NOT NULL,
        actor TEXT NOT NULL,
        actor_key_id TEXT,
        via TEXT NOT NULL,
        action TEXT NOT NULL,
        target TEXT,
        detail TEXT,
        client_ip TEXT,
        request_id TEXT
      );
    `,
  },
  {
    // One actor's actions (the Activity page's choice of a caller), read down its own index.
    version: 2,
    sql: "CREATE INDEX admin_actions_actor ON admin_actions (actor_key_id, id);",
  },
];

/** Web UI sessions (`Storage.adminSessions`), shared by every node: only the id's hash is kept. */
export const adminSessionMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE admin_sessions (
        id_hash TEXT PRIMARY KEY,
        csrf TEXT NOT NULL,
        principal TEXT NOT NULL,
        method TEXT NOT NULL,
        key_id TEXT,
        created_at BIGINT NOT NULL,
        expires_at BIGINT NOT NULL
      );
      CREATE INDEX admin_sessions_expires ON admin_sessions (expires_at);
    `,
  },
];

export const responseMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE stored_responses (
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        response TEXT NOT NULL,
        items TEXT NOT NULL,
        created_at BIGINT NOT NULL,
        PRIMARY KEY (tenant, id)
      );
      CREATE INDEX stored_responses_created ON stored_responses (created_at);
    `,
  },
  {
    // Who holds a natively answered response (a provider, or `worker:<name>`): a chain stays
    // there and reads reach it, from whichever node the next request lands on.
    version: 2,
    sql: "ALTER TABLE stored_responses ADD COLUMN holder TEXT;",
  },
  {
    // The response a row continues: a row holds its own turn only, and a chain is read by
    // following these back. Rows stored before have none, and each holds its whole conversation.
    version: 3,
    sql: "ALTER TABLE stored_responses ADD COLUMN previous_id TEXT;",
  },
  {
    // Which response holds an output item (`ResponseStore.responseOfItem`): an `item_reference`
    // names an item alone. Kept by triggers, so every writer (a previous release's node during a
    // rolling upgrade included) keeps it; a row replaced keeps its old items' entries, which a
    // reader checks against the response itself. JSON, not JSONB (since version 5 read by a
    // function that never fails: both refuse a \u0000 and a lone surrogate). An UPDATE indexes
    // the row again only when its response changes. Filled from the rows stored before after it, in batches (postgres-item-backfill.ts),
    // not here: CREATE TRIGGER locks stored_responses against writes (SHARE ROW EXCLUSIVE) until
    // this transaction commits, and every node's Responses writes would wait for a whole table's
    // parse.
    version: 4,
    sql: `
      CREATE TABLE stored_response_items (
        tenant TEXT NOT NULL,
        item_id TEXT NOT NULL,
        response_id TEXT NOT NULL,
        PRIMARY KEY (tenant, item_id)
      );
      CREATE INDEX stored_response_items_response ON stored_response_items (tenant, response_id);
      CREATE FUNCTION stored_response_items_add() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO stored_response_items (tenant, item_id, response_id)
        SELECT DISTINCT NEW.tenant, item ->> 'id', NEW.id
        FROM json_array_elements(
          CASE WHEN json_typeof(NEW.response::json -> 'output') = 'array'
            THEN NEW.response::json -> 'output' ELSE '[]'::json END
        ) AS item
        WHERE json_typeof(item -> 'id') = 'string'
        ON CONFLICT (tenant, item_id) DO UPDATE SET response_id = excluded.response_id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER stored_response_items_add AFTER INSERT OR UPDATE OF response ON stored_responses
        FOR EACH ROW EXECUTE FUNCTION stored_response_items_add();
      CREATE FUNCTION stored_response_items_drop() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        DELETE FROM stored_response_items WHERE tenant = OLD.tenant AND response_id = OLD.id;
        RETURN NULL;
      END $$;
      CREATE TRIGGER stored_response_items_drop AFTER DELETE ON stored_responses
        FOR EACH ROW EXECUTE FUNCTION stored_response_items_drop();
    `,
  },
  {
    // The item index reads a response by stored_response_item_ids, which never fails: the JSON
    // reader refuses the whole text, whichever field holds it, for a \u0000 or a lone surrogate
    // (\ud83d: an answer cut inside an emoji), which failed the save of such a response (and its
    // conversation) and the item backfill, every start. Such a response is read again with those
    // escapes as U+FFFD (its text holds them, not its items' ids), and one still unreadable names
    // no item. Replacing the trigger's function serves a previous release's node's writes too.
    version: 5,
    sql: `
      CREATE FUNCTION response_output_ids(response json) RETURNS TEXT[]
        LANGUAGE sql IMMUTABLE AS $$
        SELECT coalesce(array_agg(DISTINCT item ->> 'id'), '{}')
        FROM json_array_elements(
          CASE WHEN json_typeof(response -> 'output') = 'array' THEN response -> 'output' ELSE '[]'::json END
        ) AS item
        WHERE json_typeof(item -> 'id') = 'string'
      $$;
      CREATE FUNCTION stored_response_item_ids(response TEXT) RETURNS TEXT[]
        LANGUAGE plpgsql IMMUTABLE AS $$
      BEGIN
        RETURN response_output_ids(response::json);
      EXCEPTION WHEN others THEN
        BEGIN
          RETURN response_output_ids(
            regexp_replace(response, '\\\\u(0000|[dD][89a-fA-F][0-9a-fA-F]{2})', '\\\\ufffd', 'g')::json
          );
        EXCEPTION WHEN others THEN
          RETURN '{}';
        END;
      END $$;
      CREATE OR REPLACE FUNCTION stored_response_items_add() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        INSERT INTO stored_response_items (tenant, item_id, response_id)
        SELECT NEW.tenant, item_id, NEW.id FROM unnest(stored_response_item_ids(NEW.response)) AS item_id
        ON CONFLICT (tenant, item_id) DO UPDATE SET response_id = excluded.response_id;
        RETURN NULL;
      END $$;
    `,
  },
];

/**
 * The audit log, one wide row per request (PostgreSQL compresses repeated text well enough,
 * and a multi-row INSERT of plain columns is what makes ingest fast). Every filter has an index
 * ending in (started_at, id), the keyset order. Bodies live apart so scans never read them.
 */
export const auditMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    sql: `
      CREATE TABLE audit_log (
        id BIGSERIAL PRIMARY KEY,
        request_id TEXT NOT NULL,
        started_at BIGINT NOT NULL,
        key_id TEXT,
        key_name TEXT,
        tenant TEXT,
        role TEXT,
        front_door TEXT NOT NULL,
        model TEXT,
        route TEXT,
        upstream_model TEXT,
        status INTEGER NOT NULL,
        error_class TEXT,
        stream BOOLEAN NOT NULL,
        latency_ms DOUBLE PRECISION NOT NULL,
        ttfb_ms DOUBLE PRECISION,
        input_tokens INTEGER NOT NULL,
        output_tokens INTEGER NOT NULL,
        cost_usd DOUBLE PRECISION NOT NULL,
        client_ip TEXT,
        user_agent TEXT
      );
      CREATE INDEX audit_log_time ON audit_log (started_at, id);
      CREATE INDEX audit_log_key_id ON audit_log (key_id, started_at, id);
      CREATE INDEX audit_log_key_name ON audit_log (key_name, started_at, id);
      CREATE INDEX audit_log_model ON audit_log (model, started_at, id);
      CREATE INDEX audit_log_status ON audit_log (status, started_at, id);
      CREATE INDEX audit_log_request ON audit_log (request_id);
      CREATE TABLE audit_bodies (
        log_id BIGINT PRIMARY KEY,
        request_body TEXT,
        response_body TEXT
      );
    `,
  },
  {
    // Why a request failed (bounded, redacted) and what translation left out (docs/CLIENTS.md).
    version: 2,
    sql: `
      ALTER TABLE audit_log ADD COLUMN error_message TEXT;
      ALTER TABLE audit_log ADD COLUMN dropped TEXT;
    `,
  },
  {
    // The request's upstream attempts (retries, failover) as JSON text (audit/audit-attempt.ts).
    version: 3,
    sql: "ALTER TABLE audit_log ADD COLUMN attempts TEXT;",
  },
  {
    // On a cluster node: the node that took the request and the node that served it.
    version: 4,
    sql: "ALTER TABLE audit_log ADD COLUMN node TEXT, ADD COLUMN served_node TEXT;",
  },
  {
    // Every index costs every row it is not read for: no query reads by request id (filters are
    // time, key, model, route and status), and this one cost ingest ~15 % of PostgreSQL's CPU per
    // row. Operators who look rows up by request id by hand can add it back (docs/DEPLOYMENT.md).
    version: 5,
    sql: "DROP INDEX IF EXISTS audit_log_request;",
  },
  {
    // A tenant's admin reads only its tenant's rows, so every read of theirs filters by tenant.
    // Partial: a gateway without tenants writes NULL there and pays nothing for the index. Built
    // in the migration's transaction, so inserts wait while it scans the table; on a large log an
    // operator builds it first, CONCURRENTLY, and this finds it there (docs/DEPLOYMENT.md).
    version: 6,
    sql: "CREATE INDEX IF NOT EXISTS audit_log_tenant ON audit_log (tenant, started_at, id) WHERE tenant IS NOT NULL;",
  },
  {
    // The app (`apps:`) whose front door took the request; NULL without apps. No index, as the
    // route has none: a filter on it walks time in order (SQLite's audit migration 9 is its twin).
    version: 7,
    sql: "ALTER TABLE audit_log ADD COLUMN app TEXT;",
  },
];

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
];
