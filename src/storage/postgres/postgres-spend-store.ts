import type { SQL } from "bun";
import type { SpendStore } from "../storage.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { spendMigrations } from "./postgres-spend-migrations.ts";
import { asNumber } from "./postgres-values.ts";

/**
 * How long a flush's id is remembered: a ledger sends a failed flush again at its next flush (a
 * second), for as long as the database fails; a day covers any outage a node rides out.
 */
const FLUSH_IDS_KEPT_MS = 86_400_000;

/**
 * SpendStore over PostgreSQL: deltas from every node add up in one row per principal. The
 * database numbers each write (`seq`, spend migration 3's trigger, for old nodes' writes too), in
 * commit order, so a node that has read up to N reads what every node wrote since, and only that
 * (`changedSince`).
 */
export async function createPostgresSpendStore(sql: SQL, calls: PostgresCalls): Promise<SpendStore> {
  await migratePostgres(sql, "spend", spendMigrations);
  return {
    async add(deltas, flushId = crypto.randomUUID()) {
      const now = Date.now();
      const changed = [...deltas].filter(([, usd]) => usd !== 0);
      if (changed.length === 0) return;
      // One statement, so the flush's id is recorded if and only if its deltas are added: a flush
      // sent again after the database never confirmed it (it may have landed) adds nothing twice.
      await calls.write(
        (db) => db`WITH first_time AS (
            INSERT INTO key_spend_flushes (id, at) VALUES (${flushId}, ${now})
            ON CONFLICT (id) DO NOTHING RETURNING id
          ), forgotten AS (
            DELETE FROM key_spend_flushes WHERE at < ${now - FLUSH_IDS_KEPT_MS}
          )
          INSERT INTO key_spend (principal, spend_usd, updated_at)
          SELECT principal, usd, ${now} FROM unnest(
            ${db.array(
              changed.map(([principal]) => principal),
              "TEXT",
            )}::text[],
            ${db.array(
              changed.map(([, usd]) => usd),
              "DOUBLE PRECISION",
            )}::float8[]
          ) AS d (principal, usd)
          WHERE EXISTS (SELECT 1 FROM first_time)
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
    async totals(ids) {
      const totals = new Map<string, number>();
      if (ids.length === 0) return totals;
      const rows: { principal: string; s: number }[] = await calls.read(
        (db) =>
          db`SELECT principal, spend_usd AS s FROM key_spend WHERE principal = ANY(${db.array([...ids], "TEXT")}::text[])`,
      );
      for (const row of rows) totals.set(row.principal, row.s);
      return totals;
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
