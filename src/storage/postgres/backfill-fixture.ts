import { SQL } from "bun";
import { shadowPair, versionOnePairInsert } from "../../testing/shadow-pair.ts";
import type { BackfillMark } from "./postgres-backfill.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { responseMigrations } from "./postgres-response-migrations.ts";
import { shadowMigrations } from "./postgres-shadow-migrations.ts";

/**
 * Fills the (empty) database at `url` as the release before the item index and the shadow key_id
 * column left it: `responses` responses of tenant acme (`resp_N`, whose output item is `msg_upN`,
 * an upstream's id) and `pairs` shadow pairs (`pair_N`, caller `key_ci`, but `pair_0`, with none),
 * then applies those migrations as a node of this release does at start: nothing filled yet.
 */
export async function writeDatabaseToBackfill(url: string, responses: number, pairs: number): Promise<void> {
  const sql = new SQL({ url, max: 1 });
  try {
    await migratePostgres(sql, "responses", responseMigrations.slice(0, 3));
    await migratePostgres(sql, "shadow", shadowMigrations.slice(0, 1));
    const rows = Array.from({ length: responses }, (_, n) => ({
      tenant: "acme",
      id: `resp_${n}`,
      response: JSON.stringify({ id: `resp_${n}`, output: [{ id: `msg_up${n}` }] }),
      items: "[]",
      created_at: 1,
    }));
    for (let at = 0; at < rows.length; at += 400)
      await sql`INSERT INTO stored_responses ${sql(rows.slice(at, at + 400))}`;
    for (let n = 0; n < pairs; n++)
      await sql.unsafe(
        ...versionOnePairInsert(shadowPair(1, { id: `pair_${n}`, keyId: n === 0 ? null : "key_ci" })),
      );
    await migratePostgres(sql, "responses", responseMigrations);
    await migratePostgres(sql, "shadow", shadowMigrations);
  } finally {
    await sql.close();
  }
}

/**
 * Holds the backfill's progress row, as another node's batch would, until `release`: a node's
 * backfill waits for it at its first batch, observably not done, without a sleep anywhere.
 */
export async function holdBackfill(url: string, mark: BackfillMark): Promise<{ release(): Promise<void> }> {
  const sql = new SQL({ url, max: 1 });
  await sql`INSERT INTO backfill_progress (component, version) VALUES (${mark.component}, ${mark.version})
    ON CONFLICT DO NOTHING`;
  let release = () => {};
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding = () => {};
  const holds = new Promise<void>((resolve) => {
    holding = resolve;
  });
  const held = sql.begin(async (tx) => {
    await tx`SELECT 1 FROM backfill_progress WHERE component = ${mark.component} AND version = ${mark.version}
      FOR UPDATE`;
    holding();
    await released;
  });
  await Promise.race([holds, held]);
  let releasing: Promise<void> | undefined;
  return {
    release() {
      release();
      releasing ??= held.finally(() => sql.close());
      return releasing;
    },
  };
}
