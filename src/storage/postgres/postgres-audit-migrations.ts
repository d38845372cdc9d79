import type { PostgresMigration } from "./postgres-migrate.ts";

// Append new steps; never edit an applied one. Times are epoch milliseconds (BIGINT), as everywhere
// in mindgw's stores.

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
