import type { Database } from "bun:sqlite";
import { sqliteCode } from "./storage-failure.ts";

/** One schema step of a component. Versions start at 1 and only ever grow. */
export interface Migration {
  version: number;
  sql: string;
}

const LEDGER = `CREATE TABLE IF NOT EXISTS schema_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  applied_at INTEGER NOT NULL,
  PRIMARY KEY (component, version)
)`;

/**
 * Applies the component's migrations that this database has not seen, each in its own
 * `BEGIN IMMEDIATE` transaction recorded in `schema_migrations`. IMMEDIATE takes the write
 * lock before the check, so two processes starting together (serve and `mindgw keys`) apply
 * each step exactly once: the second waits (busy_timeout), then finds it recorded.
 * Returns the versions applied by this call.
 */
export function migrate(db: Database, component: string, migrations: readonly Migration[]): number[] {
  assertOrdered(component, migrations);
  db.run(LEDGER);
  const applied: number[] = [];
  const isApplied = db.query<{ n: number }, [string, number]>(
    "SELECT count(*) AS n FROM schema_migrations WHERE component = ? AND version = ?",
  );
  const record = db.query("INSERT INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)");
  for (const step of migrations) {
    if ((isApplied.get(component, step.version)?.n ?? 0) > 0) continue;
    db.run("BEGIN IMMEDIATE");
    try {
      if ((isApplied.get(component, step.version)?.n ?? 0) === 0) {
        db.run(step.sql);
        record.run(component, step.version, Date.now());
        applied.push(step.version);
      }
      db.run("COMMIT");
    } catch (error) {
      db.run("ROLLBACK");
      // SQLite's code kept: a file that refuses the write is told apart (and named) by it.
      throw Object.assign(
        new Error(`migration ${component}@${step.version} failed: ${(error as Error).message}`),
        {
          code: sqliteCode(error) ?? undefined,
        },
      );
    }
  }
  return applied;
}

/** The highest version recorded for a component, 0 when none. */
export function schemaVersion(db: Database, component: string): number {
  db.run(LEDGER);
  const row = db
    .query<{ v: number | null }, [string]>(
      "SELECT max(version) AS v FROM schema_migrations WHERE component = ?",
    )
    .get(component);
  return row?.v ?? 0;
}

function assertOrdered(component: string, migrations: readonly Migration[]): void {
  let last = 0;
  for (const step of migrations) {
    if (!Number.isInteger(step.version) || step.version <= last) {
      throw new Error(`migrations of ${component} must have strictly increasing positive integer versions`);
    }
    last = step.version;
  }
}
