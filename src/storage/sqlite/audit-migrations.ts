import type { Database } from "bun:sqlite";
import { migrate } from "./migrate.ts";

/**
 * The audit tables. Static metadata is interned rather than repeated in every row:
 * - `audit_principals` holds each distinct (key id, key name, tenant, role) once; a row points
 *   at it, so a JWT caller whose claims change still gets an exact history.
 * - `audit_strings` holds model names, routes, upstream models, error classes and user agents.
 * - `audit_bodies` keeps the (optional, redacted) bodies out of the narrow log rows, so scans
 *   and exports of the log never page through body text.
 * `audit_log.id` is the rowid: with `started_at` it forms the keyset cursor.
 * Interned values no row refers to any longer are deleted by retention (migration 8).
 */
export const AUDIT_MIGRATIONS = [
  {
    version: 1,
    sql: `
CREATE TABLE audit_principals (
  id INTEGER PRIMARY KEY,
  key_id TEXT, key_name TEXT, tenant TEXT, role TEXT,
  fingerprint TEXT NOT NULL UNIQUE
);
CREATE INDEX audit_principals_key_id ON audit_principals(key_id);
CREATE INDEX audit_principals_key_name ON audit_principals(key_name);
CREATE TABLE audit_strings (
  id INTEGER PRIMARY KEY,
  value TEXT NOT NULL UNIQUE
);
CREATE TABLE audit_log (
  id INTEGER PRIMARY KEY,
  request_id TEXT NOT NULL,
  started_at INTEGER NOT NULL,
  principal_id INTEGER,
  front_door TEXT NOT NULL,
  model_id INTEGER,
  route_id INTEGER,
  upstream_model_id INTEGER,
  status INTEGER NOT NULL,
  error_class_id INTEGER,
  stream INTEGER NOT NULL,
  latency_ms REAL NOT NULL,
  ttfb_ms REAL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cost_usd REAL NOT NULL,
  client_ip TEXT,
  user_agent_id INTEGER
);
CREATE INDEX audit_log_time ON audit_log(started_at);
CREATE INDEX audit_log_principal ON audit_log(principal_id, started_at);
CREATE INDEX audit_log_model ON audit_log(model_id, started_at);
CREATE INDEX audit_log_status ON audit_log(status, started_at);
CREATE INDEX audit_log_request ON audit_log(request_id);
CREATE TABLE audit_bodies (
  log_id INTEGER PRIMARY KEY,
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
    sql: `
ALTER TABLE audit_log ADD COLUMN node TEXT;
ALTER TABLE audit_log ADD COLUMN served_node TEXT;
`,
  },
  {
    // Every index costs every row it is not read for, and this one most (a 40-byte text key):
    // ~1 µs of the audit thread's ~6.4 a row. No query reads by request id: the filters are
    // time, key, tenant, model, route and status, and the admin UI finds one request's row by
    // its millisecond (the time index). PostgreSQL's audit migration 5 dropped its twin.
    version: 5,
    sql: "DROP INDEX IF EXISTS audit_log_request;",
  },
  {
    // The one attempt most requests make (committed on the row's own route and model) as its
    // duration alone, instead of ~120 bytes of JSON in `attempts` (sole-attempt.ts).
    version: 6,
    sql: "ALTER TABLE audit_log ADD COLUMN attempt_ms REAL;",
  },
  {
    // The status index without the 200s, nearly every row: it cost the audit thread ~0.5 µs and
    // ~45 bytes of WAL a row to serve a filter whose matches are almost the whole log, which the
    // time index serves as well (a 200 is most of any page of it). The errors, what an operator
    // filters on, keep their index; a query states its condition (audit-select.ts) to use it.
    version: 7,
    sql: `
DROP INDEX IF EXISTS audit_log_status;
CREATE INDEX audit_log_status ON audit_log(status, started_at) WHERE status <> 200;
`,
  },
  {
    // The newest log row that refers to each interned value (audit-inserter.ts stamps it once a
    // batch), so that retention can delete the values no row refers to any longer: a value whose
    // stamp is below the oldest row left (sqlite-audit-store.ts `sweepInterned`). Without it every
    // distinct user agent a client without a key sent stayed for good. The values there already are
    // stamped with the newest row, and go once every row now in the log has.
    version: 8,
    sql: `
ALTER TABLE audit_strings ADD COLUMN last_log_id INTEGER;
ALTER TABLE audit_principals ADD COLUMN last_log_id INTEGER;
UPDATE audit_strings SET last_log_id = (SELECT coalesce(max(id), 0) FROM audit_log);
UPDATE audit_principals SET last_log_id = (SELECT coalesce(max(id), 0) FROM audit_log);
CREATE INDEX audit_strings_last_log ON audit_strings(last_log_id);
CREATE INDEX audit_principals_last_log ON audit_principals(last_log_id);
`,
  },
  {
    // The app (`apps:`) whose front door took the request: NULL, no byte of the row, without apps.
    // No index: a filter on it walks time in order, as the route's does (few apps, each much of
    // its traffic), and an index costs every row it is not read for (migration 5).
    version: 9,
    sql: "ALTER TABLE audit_log ADD COLUMN app TEXT;",
  },
] as const;

/** The audit schema this build reads and writes: its last migration's version. */
export const LATEST_AUDIT_SCHEMA = AUDIT_MIGRATIONS[AUDIT_MIGRATIONS.length - 1]!.version;

/**
 * The oldest audit schema a read takes as it is (`mindgw audit query/export` on a file it may not
 * migrate): migration 6 added the last column a read names (`attempt_ms`); 7 changed an index, 8
 * added columns only retention uses, and a read does without 9's (`APP_AUDIT_SCHEMA`). Raise it
 * with a migration that adds a column reads name and cannot do without.
 */
export const MIN_READ_AUDIT_SCHEMA = 6;

/**
 * The audit schema that has `audit_log.app`: a file an older mindgw left, read as it is, has no
 * app on any row (audit-select.ts reads NULL in its place, and an app filter matches nothing).
 */
export const APP_AUDIT_SCHEMA = 9;

/**
 * The audit schema of a database, without writing to it (a read-only handle): its last audit
 * migration applied, or 0 when it has no audit log yet.
 */
export function auditSchemaVersion(db: Database): number {
  const has = (table: string) =>
    db.query<{ n: number }, [string]>("SELECT count(*) AS n FROM sqlite_master WHERE name = ?").get(table)!
      .n > 0;
  if (!has("audit_log")) return 0;
  // An audit log from before the migrations' ledger counts as the first version.
  if (!has("schema_migrations")) return 1;
  const row = db
    .query<{ v: number | null }, []>(
      "SELECT max(version) AS v FROM schema_migrations WHERE component = 'audit'",
    )
    .get();
  return row?.v ?? 1;
}

/**
 * Makes a handle ready for audit writes: the durability pragmas the promise in
 * docs/RELIABILITY.md rests on (WAL, synchronous=NORMAL), a bounded WAL, then the migrations.
 * Idempotent; safe on a handle that storage/ already configured. Its autocheckpoint is the
 * handle's own: SQLite's 1000 pages (~4 MiB), the audit thread's larger (thread-checkpoints.ts),
 * none on the event loop's beside the thread (sqlite-storage.ts).
 */
export function prepareAuditDatabase(db: Database): void {
  db.run("PRAGMA journal_mode = WAL");
  db.run("PRAGMA synchronous = NORMAL");
  // Shrink the file back to 64 MB after a checkpoint resets it.
  db.run("PRAGMA journal_size_limit = 67108864");
  migrate(db, "audit", AUDIT_MIGRATIONS);
}
