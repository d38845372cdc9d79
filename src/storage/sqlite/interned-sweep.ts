import type { Database } from "bun:sqlite";
import { RESTAMP_ROWS } from "./interned-stamps.ts";

/** The tables of interned values and the log columns that refer to each (audit migrations 1 and 8). */
const REFERENCES = {
  audit_strings: ["model_id", "route_id", "upstream_model_id", "error_class_id", "user_agent_id"],
  audit_principals: ["principal_id"],
} as const;

export type InternedTable = keyof typeof REFERENCES;
export const INTERNED = Object.keys(REFERENCES) as InternedTable[];

/** The values whose stamp is below a row id, oldest stamp first, up to a count (the sweep's read). */
export const unreferenced = (table: InternedTable) =>
  `SELECT id, last_log_id AS stamp FROM ${table} WHERE last_log_id < ? ORDER BY last_log_id LIMIT ?`;

/**
 * Deletes up to `limit` interned values (strings, then principals) that no log row refers to any
 * longer, and returns how many. A value's stamp (interned-stamps.ts) is at most `RESTAMP_ROWS`
 * behind the newest row that refers to it, and rows are deleted oldest first while new ones get
 * higher ids. So a value whose stamp is below the oldest row left by `RESTAMP_ROWS` or more is
 * referred to by no row; one closer than that is looked for in the rows that may still refer to it,
 * those from the oldest up to its stamp plus `RESTAMP_ROWS` (one range of the row id, read once).
 */
export function sweepInterned(db: Database, limit: number): number {
  const { oldest, newest } = db
    .query<{ oldest: number | null; newest: number | null }, []>(
      "SELECT min(id) AS oldest, max(id) AS newest FROM audit_log",
    )
    .get()!;
  // An empty log: nothing refers to any value.
  const below = oldest ?? Number.MAX_SAFE_INTEGER;
  // IMMEDIATE: it reads before it writes (audit-inserter.ts says why a deferred one would fail).
  return db
    .transaction(() => {
      let swept = 0;
      for (const table of INTERNED)
        while (swept < limit) {
          const candidates = db
            .query<{ id: number; stamp: number }, [number, number]>(unreferenced(table))
            .all(below, limit - swept);
          if (candidates.length === 0) break;
          const referenced = stillReferenced(db, table, below, candidates);
          const gone = candidates.filter((value) => !referenced.has(value.id)).map((value) => value.id);
          // A value found in use is stamped with the newest row, so the next read passes over it.
          if (referenced.size > 0)
            db.run(`UPDATE ${table} SET last_log_id = ? WHERE id IN (SELECT value FROM json_each(?))`, [
              newest,
              JSON.stringify([...referenced]),
            ]);
          if (gone.length > 0)
            db.run(`DELETE FROM ${table} WHERE id IN (SELECT value FROM json_each(?))`, [
              JSON.stringify(gone),
            ]);
          swept += gone.length;
        }
      return swept;
    })
    .immediate();
}

/** Of the candidates stamped within `RESTAMP_ROWS` of the oldest row, those a row still refers to. */
function stillReferenced(
  db: Database,
  table: InternedTable,
  oldest: number,
  candidates: readonly { id: number; stamp: number }[],
): Set<number> {
  const latest = candidates.at(-1)?.stamp;
  if (latest === undefined || latest + RESTAMP_ROWS <= oldest) return new Set();
  const columns = REFERENCES[table];
  const rows = db
    .query<Record<string, number | null>, [number, number]>(
      `SELECT ${columns.join(", ")} FROM audit_log WHERE id >= ? AND id < ?`,
    )
    .all(oldest, latest + RESTAMP_ROWS);
  const inUse = new Set<number>();
  for (const row of rows)
    for (const column of columns) {
      const id = row[column];
      if (id != null) inUse.add(id);
    }
  return new Set(candidates.flatMap((value) => (inUse.has(value.id) ? [value.id] : [])));
}
