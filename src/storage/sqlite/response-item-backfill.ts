import type { Database } from "bun:sqlite";
import { sqliteCode } from "./storage-failure.ts";

/** Rows read per batch: each batch is its own short write, so writers wait one batch at most. */
const BATCH = 500;

/** The mark in `schema_migrations` that the rows stored before the item index are in it. */
const DONE = { component: "responses.item_index", version: 1 } as const;

/**
 * Fills the item index (`stored_response_items`, responses migration 4) from the rows stored
 * before it, a batch of rows at a time after the migration instead of inside it, where one
 * transaction parsed every stored response holding the write lock. An entry the triggers wrote
 * meanwhile is kept (`OR IGNORE`): it is the newer. Run on each open until it is marked done, so a
 * process stopped halfway starts over, and two processes running it at once write the same rows.
 */
export function backfillResponseItems(db: Database): void {
  try {
    fill(db);
  } catch (error) {
    // A read-only handle (CLI reports) reads what is there; a writer fills it when it opens.
    if (sqliteCode(error)?.startsWith("SQLITE_READONLY")) return;
    throw error;
  }
}

function fill(db: Database): void {
  const done = db
    .query<{ n: number }, [string, number]>(
      "SELECT count(*) AS n FROM schema_migrations WHERE component = ? AND version = ?",
    )
    .get(DONE.component, DONE.version);
  if ((done?.n ?? 0) > 0) return;
  const lastOf = db.query<{ last: number | null }, [number, number]>(
    `SELECT max(rowid) AS last FROM
       (SELECT rowid FROM stored_responses WHERE rowid > ? ORDER BY rowid LIMIT ?)`,
  );
  const index = db.query<never, [number, number]>(
    `INSERT OR IGNORE INTO stored_response_items (tenant, item_id, response_id)
     SELECT r.tenant, json_extract(item.value, '$.id'), r.id
     FROM stored_responses r,
       json_each(CASE WHEN json_valid(r.response) THEN r.response END, '$.output') item
     WHERE r.rowid > ? AND r.rowid <= ?
       AND CASE WHEN item.type = 'object' THEN json_type(item.value, '$.id') END = 'text'`,
  );
  let after = 0;
  for (;;) {
    const last = lastOf.get(after, BATCH)?.last ?? null;
    if (last === null) break;
    index.run(after, last);
    after = last;
  }
  db.query("INSERT OR IGNORE INTO schema_migrations (component, version, applied_at) VALUES (?, ?, ?)").run(
    DONE.component,
    DONE.version,
    Date.now(),
  );
}
