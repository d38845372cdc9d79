import { existsSync } from "node:fs";
import type { Config } from "../config/config-schema.ts";
import { postgresOptions } from "./open-storage.ts";
import { connectPostgres, describeConnectFailure } from "./postgres/postgres-client.ts";
import { POSTGRES_SCHEMA } from "./postgres/postgres-schema.ts";
import { openDatabase } from "./sqlite/open-database.ts";
import { SQLITE_SCHEMA } from "./sqlite/sqlite-schema.ts";

/** A component whose schema is older than this release's: at `at`, this release's `latest`. */
export interface PendingMigration {
  component: string;
  at: number;
  latest: number;
}

/** Each component's highest applied version, as `schema_migrations` records them. */
type Applied = ReadonlyMap<string, number>;

/**
 * The migrations opening the store would apply to tables already there, read without applying
 * any. A component with none recorded is left out: its tables are created, nothing of a release
 * already serving the database changes (a new database, or one a first `mindgw keys create -c`
 * made, with no audit tables yet).
 */
export async function pendingMigrations(config: Config["storage"]): Promise<PendingMigration[]> {
  if (config.driver === "sqlite") return behind(sqliteApplied(config.path), SQLITE_SCHEMA);
  return behind(await postgresApplied(config), POSTGRES_SCHEMA);
}

/**
 * Whether mindgw made its tables in the PostgreSQL database: a `schema_migrations` ledger with a
 * component in it (`mindgw serve` and `keys create -c` make every component's).
 */
export async function postgresHoldsSchema(config: Config["storage"]): Promise<boolean> {
  return (await postgresApplied(config)).size > 0;
}

/** Where the database is, for a message: the file, or PostgreSQL's host, port and database (no password). */
export function databaseName(config: Config["storage"]): string {
  if (config.driver === "sqlite") return config.path;
  const url = new URL(postgresOptions(config).url);
  return `${url.hostname}:${url.port || "5432"}${url.pathname}`;
}

function behind(applied: Applied, schema: Readonly<Record<string, readonly { version: number }[]>>) {
  return Object.entries(schema).flatMap(([component, steps]) => {
    const latest = steps.at(-1)?.version ?? 0;
    const at = applied.get(component) ?? 0;
    return at > 0 && at < latest ? [{ component, at, latest }] : [];
  });
}

function sqliteApplied(path: string): Applied {
  if (path === ":memory:" || path === "" || !existsSync(path)) return new Map();
  // As every read-only command opens it: a failure names the file, a read-only folder is read.
  const db = openDatabase(path, { readonly: true });
  try {
    const ledger = db.query(
      "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
    );
    if (ledger.get() === null) return new Map();
    const rows = db
      .query<{ component: string; v: number }, []>(
        "SELECT component, max(version) AS v FROM schema_migrations GROUP BY component",
      )
      .all();
    return new Map(rows.map((row) => [row.component, row.v]));
  } finally {
    db.close();
  }
}

async function postgresApplied(config: Config["storage"]): Promise<Applied> {
  const options = { ...postgresOptions(config), pool: 1 };
  const sql = connectPostgres(options);
  try {
    const [ledger] = await sql`SELECT to_regclass('schema_migrations') IS NOT NULL AS present`.catch(
      (error: unknown) => {
        throw describeConnectFailure(error, options);
      },
    );
    if (!ledger?.present) return new Map();
    const rows: { component: string; v: number }[] =
      await sql`SELECT component, max(version)::int AS v FROM schema_migrations GROUP BY component`;
    return new Map(rows.map((row) => [row.component, row.v]));
  } finally {
    await sql.close({ timeout: 1 });
  }
}
