import type { Database } from "bun:sqlite";
import type { SpendStore } from "../storage.ts";
import { spendMigrations } from "./key-migrations.ts";
import { migrate } from "./migrate.ts";

/** SpendStore over bun:sqlite: one row per principal holding its running USD total. */
export function createSqliteSpendStore(db: Database): SpendStore {
  migrate(db, "spend", spendMigrations);
  const upsert = db.query(
    `INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES (?1, ?2, ?3)
     ON CONFLICT (principal) DO UPDATE SET spend_usd = spend_usd + ?2, updated_at = ?3`,
  );
  const one = db.query<{ s: number }, [string]>("SELECT spend_usd AS s FROM key_spend WHERE principal = ?");
  const all = db.query<{ principal: string; s: number }, []>(
    "SELECT principal, spend_usd AS s FROM key_spend",
  );
  const addAll = db.transaction((deltas: ReadonlyMap<string, number>) => {
    const now = Date.now();
    for (const [principal, usd] of deltas) if (usd !== 0) upsert.run(principal, usd, now);
  });
  return {
    async add(deltas) {
      if (deltas.size > 0) addAll(deltas);
    },
    async total(id) {
      return one.get(id)?.s ?? 0;
    },
    async totals() {
      return new Map(all.all().map((row) => [row.principal, row.s]));
    },
  };
}
