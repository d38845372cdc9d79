import type { Database } from "bun:sqlite";
import type { SpendStore } from "../storage.ts";
import { spendMigrations } from "./key-migrations.ts";
import { migrate } from "./migrate.ts";

/** Principals read or deleted per statement: well under SQLite's bound on a statement's variables. */
const BATCH = 500;

/**
 * SpendStore over bun:sqlite: one row per principal holding its running USD total, and the
 * change number (`seq`) of the write that last changed it. The file numbers each write itself
 * (spend migration 3's triggers), under SQLite's one write lock, so numbers commit in order even
 * with another process on the file (`mindgw keys rotate`, an older binary).
 */
export function createSqliteSpendStore(db: Database): SpendStore {
  migrate(db, "spend", spendMigrations);
  const upsert = db.query(
    `INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (principal) DO UPDATE SET spend_usd = spend_usd + ?2, updated_at = ?3`,
  );
  const one = db.query<{ s: number }, [string]>("SELECT spend_usd AS s FROM key_spend WHERE principal = ?");
  const changed = db.query<{ principal: string; s: number; seq: number }, [number]>(
    "SELECT principal, spend_usd AS s, seq FROM key_spend WHERE seq > ?",
  );
  const addAll = db.transaction((deltas: ReadonlyMap<string, number>) => {
    const now = Date.now();
    for (const [principal, usd] of deltas) if (usd !== 0) upsert.run(principal, usd, now);
  });
  const removeAll = db.transaction((principals: readonly string[]) => {
    for (let from = 0; from < principals.length; from += BATCH) {
      const batch = principals.slice(from, from + BATCH);
      db.run(`DELETE FROM key_spend WHERE principal IN (${batch.map(() => "?").join(",")})`, batch);
    }
  });
  return {
    async add(deltas) {
      if (deltas.size > 0) addAll.immediate(deltas);
    },
    async total(id) {
      return one.get(id)?.s ?? 0;
    },
    async totals(ids) {
      const totals = new Map<string, number>();
      for (let from = 0; from < ids.length; from += BATCH) {
        const batch = ids.slice(from, from + BATCH);
        const rows = db
          .query<{ principal: string; s: number }, string[]>(
            `SELECT principal, spend_usd AS s FROM key_spend WHERE principal IN (${batch.map(() => "?").join(",")})`,
          )
          .all(...batch);
        for (const row of rows) totals.set(row.principal, row.s);
      }
      return totals;
    },
    async changedSince(cursor) {
      const totals = new Map<string, number>();
      let last = cursor;
      for (const row of changed.all(cursor)) {
        totals.set(row.principal, row.s);
        if (row.seq > last) last = row.seq;
      }
      return { totals, cursor: last };
    },
    async remove(principals) {
      if (principals.length > 0) removeAll.immediate(principals);
    },
  };
}
