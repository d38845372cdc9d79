import type { SQL } from "bun";

/** The mark in `schema_migrations` that a backfill has run to its end on this database. */
export interface BackfillMark {
  readonly component: string;
  readonly version: number;
}

/**
 * Fills rows a migration left to fill after it committed, outside its lock: `step` fills one batch
 * after `after` (null: from the first row), each its own short statement holding no lock writers
 * wait for, and says where it stopped, null when no row was left. Run by every node that opens the
 * store until one marks it done, so a node stopped halfway leaves the rest to the next; `step` must
 * keep what a writer wrote meanwhile, and write what another node running it at once writes too.
 */
export async function backfillOnce<P>(
  sql: SQL,
  mark: BackfillMark,
  step: (after: P | null) => Promise<P | null>,
): Promise<void> {
  const done: unknown[] =
    await sql`SELECT 1 FROM schema_migrations WHERE component = ${mark.component} AND version = ${mark.version}`;
  if (done.length > 0) return;
  let after: P | null = null;
  for (;;) {
    const next: P | null = await step(after);
    if (next === null) break;
    after = next;
  }
  await sql`INSERT INTO schema_migrations (component, version, applied_at)
    VALUES (${mark.component}, ${mark.version}, ${Date.now()})
    ON CONFLICT (component, version) DO NOTHING`;
}
