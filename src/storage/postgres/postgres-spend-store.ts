import type { SQL } from "bun";
import type { SpendStore } from "../storage.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { spendMigrations } from "./postgres-migrations.ts";
import { asNumber } from "./postgres-values.ts";

/**
 * SpendStore over PostgreSQL: deltas from every node add up in one row per principal. The
 * database numbers each write (`seq`, spend migration 3's trigger, for old nodes' writes too), in
 * commit order, so a node that has read up to N reads what every node wrote since, and only that
 * (`changedSince`).
 */
export async function createPostgresSpendStore(sql: SQL, calls: PostgresCalls): Promise<SpendStore> {
  await migratePostgres(sql, "spend", spendMigrations);
  return {
    async add(deltas) {
      const now = Date.now();
      const changed = [...deltas].filter(([, usd]) => usd !== 0);
      if (changed.length === 0) return;
      const rows = changed.map(([principal, usd]) => ({ principal, spend_usd: usd, updated_at: now }));
      // A flush that fails is retried with the same deltas: the bounded call tells whether this
      // one applied (cancelled at the bound: it did not), so no delta is ever added twice.
      await calls.write(
        (db) => db`INSERT INTO key_spend ${db(rows)}
          ON CONFLICT (principal) DO UPDATE
          SET spend_usd = key_spend.spend_usd + excluded.spend_usd, updated_at = excluded.updated_at`,
      );
    },
    async total(id) {
      const rows: { s: number }[] = await calls.read(
        (db) => db`SELECT spend_usd AS s FROM key_spend WHERE principal = ${id}`,
      );
      return rows[0]?.s ?? 0;
    },
    async changedSince(cursor) {
      const rows: { principal: string; s: number; seq: string }[] = await calls.read(
        (db) => db`SELECT principal, spend_usd AS s, seq FROM key_spend WHERE seq > ${cursor}`,
      );
      const totals = new Map<string, number>();
      let last = cursor;
      for (const row of rows) {
        totals.set(row.principal, row.s);
        last = Math.max(last, asNumber(row.seq));
      }
      return { totals, cursor: last };
    },
    async remove(principals) {
      if (principals.length === 0) return;
      await calls.write(
        (db) => db`DELETE FROM key_spend WHERE principal = ANY(${db.array([...principals], "TEXT")}::text[])`,
      );
    },
  };
}
