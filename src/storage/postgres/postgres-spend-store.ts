import type { SQL } from "bun";
import type { SpendStore } from "../storage.ts";
import { guarded } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { spendMigrations } from "./postgres-migrations.ts";
import { asNumber } from "./postgres-values.ts";

/** Serialises spend writes so `seq` is also commit order ("mgws" as an int). */
const CHANGE_LOCK = 0x6d677773;

/**
 * SpendStore over PostgreSQL: deltas from every node add up in one row per principal. Each write
 * takes the next change number (`seq`) while holding a transaction-scoped advisory lock, so
 * numbers commit in order and a node that has read up to N never later finds a smaller one
 * appear: it reads what every node wrote since, and only that (`changedSince`).
 */
export async function createPostgresSpendStore(sql: SQL): Promise<SpendStore> {
  await migratePostgres(sql, "spend", spendMigrations);
  return {
    add: (deltas) =>
      guarded(async () => {
        const now = Date.now();
        const changed = [...deltas].filter(([, usd]) => usd !== 0);
        if (changed.length === 0) return;
        await sql.begin(async (tx) => {
          await tx`SELECT pg_advisory_xact_lock(${CHANGE_LOCK})`;
          const [next] = await tx`SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM key_spend`;
          const seq = asNumber((next as { seq: string }).seq);
          const rows = changed.map(([principal, usd]) => ({
            principal,
            spend_usd: usd,
            updated_at: now,
            seq,
          }));
          await tx`INSERT INTO key_spend ${sql(rows)}
            ON CONFLICT (principal) DO UPDATE
            SET spend_usd = key_spend.spend_usd + excluded.spend_usd, updated_at = excluded.updated_at,
                seq = excluded.seq`;
        });
      }),
    total: (id) =>
      guarded(async () => {
        const rows: { s: number }[] = await sql`SELECT spend_usd AS s FROM key_spend WHERE principal = ${id}`;
        return rows[0]?.s ?? 0;
      }),
    changedSince: (cursor) =>
      guarded(async () => {
        const rows: { principal: string; s: number; seq: string }[] =
          await sql`SELECT principal, spend_usd AS s, seq FROM key_spend WHERE seq > ${cursor}`;
        const totals = new Map<string, number>();
        let last = cursor;
        for (const row of rows) {
          totals.set(row.principal, row.s);
          last = Math.max(last, asNumber(row.seq));
        }
        return { totals, cursor: last };
      }),
    remove: (principals) =>
      guarded(async () => {
        if (principals.length === 0) return;
        await sql`DELETE FROM key_spend WHERE principal = ANY(${sql.array([...principals], "TEXT")}::text[])`;
      }),
  };
}
