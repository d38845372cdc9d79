import type { SQL } from "bun";
import type { SpendStore } from "../storage.ts";
import { guarded } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { spendMigrations } from "./postgres-migrations.ts";

/** SpendStore over PostgreSQL: deltas from every node add up in one row per principal. */
export async function createPostgresSpendStore(sql: SQL): Promise<SpendStore> {
  await migratePostgres(sql, "spend", spendMigrations);
  return {
    add: (deltas) =>
      guarded(async () => {
        const now = Date.now();
        const rows = [...deltas]
          .filter(([, usd]) => usd !== 0)
          .map(([principal, usd]) => ({ principal, spend_usd: usd, updated_at: now }));
        if (rows.length === 0) return;
        await sql`INSERT INTO key_spend ${sql(rows)}
          ON CONFLICT (principal) DO UPDATE
          SET spend_usd = key_spend.spend_usd + excluded.spend_usd, updated_at = excluded.updated_at`;
      }),
    total: (id) =>
      guarded(async () => {
        const rows: { s: number }[] = await sql`SELECT spend_usd AS s FROM key_spend WHERE principal = ${id}`;
        return rows[0]?.s ?? 0;
      }),
    totals: () =>
      guarded(async () => {
        const rows: { principal: string; s: number }[] =
          await sql`SELECT principal, spend_usd AS s FROM key_spend`;
        return new Map(rows.map((row) => [row.principal, row.s]));
      }),
  };
}
