import type { SQL } from "bun";
import { messageOf } from "../../core/describe-error.ts";

/** One schema step of a component. Versions start at 1 and only ever grow. */
export interface PostgresMigration {
  version: number;
  sql: string;
}

/** One lock for every component's migrations ("mgw!" as an int). */
const MIGRATION_LOCK = 0x6d677721;

/**
 * Applies the component's migrations this database has not seen, in one transaction that first
 * takes a transaction-scoped advisory lock: several nodes starting at once queue on the lock, and
 * each step is applied exactly once (the later nodes find it recorded). DDL in PostgreSQL is
 * transactional, so a failed step leaves nothing half-applied. Returns the versions applied.
 */
export async function migratePostgres(
  sql: SQL,
  component: string,
  migrations: readonly PostgresMigration[],
): Promise<number[]> {
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS schema_migrations (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      applied_at BIGINT NOT NULL,
      PRIMARY KEY (component, version)
    )`);
    // Where each backfill (postgres-backfill.ts) stopped: its mark's name, and its last row's key.
    await tx.unsafe(`CREATE TABLE IF NOT EXISTS backfill_progress (
      component TEXT NOT NULL,
      version INTEGER NOT NULL,
      after TEXT,
      PRIMARY KEY (component, version)
    )`);
    const rows: { version: number }[] =
      await tx`SELECT version FROM schema_migrations WHERE component = ${component}`;
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of migrations) {
      if (done.has(migration.version)) continue;
      await tx.unsafe(migration.sql).catch((error: unknown) => {
        throw migrationFailed(component, migration.version, error);
      });
      await tx`INSERT INTO schema_migrations (component, version, applied_at)
               VALUES (${component}, ${migration.version}, ${Date.now()})`;
      applied.push(migration.version);
    }
    return applied;
  });
}

/**
 * Which step failed, as SQLite's migrate() says it, with what PostgreSQL told beside its message:
 * DETAIL, HINT and CONTEXT (`where`: the function and line a trigger or DO block failed in), which
 * the message alone drops. The original stays the cause.
 */
function migrationFailed(component: string, version: number, error: unknown): Error {
  const said = (name: "detail" | "hint" | "where", label: string) => {
    const value =
      error instanceof Error ? (error as Error & Partial<Record<typeof name, unknown>>)[name] : null;
    return typeof value === "string" && value !== "" ? ` (${label}: ${value})` : "";
  };
  const message = messageOf(error);
  return new Error(
    `migration ${component}@${version} failed: ${message}${said("detail", "detail")}${said("hint", "hint")}${said("where", "context")}`,
    { cause: error },
  );
}
