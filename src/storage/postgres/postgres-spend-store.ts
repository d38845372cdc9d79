import type { SQL } from "bun";
import type { SpendStore } from "../storage.ts";
import { guarded } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { spendMigrations } from "./postgres-migrations.ts";
import { asNumber } from "./postgres-values.ts";

/**
 * SpendStore over PostgreSQL: deltas from every node add up in one row per principal. The
 * database numbers each write (`seq`, spend migration 3's trigger, for old nodes' writes too), in
 * commit order, so a node that has read up to N reads what every node wrote since, and only that
 * (`changedSince`).
 */
export async function createPostgresSpendStore(sql: SQL): Promise<SpendStore> {
  await migratePostgres(sql, "spend", spendMigrations);
  return {
    add: (deltas) =>
      guarded(async () => {
        const now = Date.now();
        const changed = [...deltas].filter(([, usd]) => usd !== 0);
        if (changed.length === 0) return;
        const rows = changed.map(([principal, usd]) => ({ principal, spend_usd: usd, updated_at: now }));
        await sql`INSERT INTO key_spend ${sql(rows)}
          ON CONFLICT (principal) DO UPDATE
          SET spend_usd = key_spend.spend_usd + excluded.spend_usd, updated_at = excluded.updated_at`;
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
