import type { Backfill } from "./postgres-backfill.ts";

/**
 * Gives every pair whose `key_id` is NULL (kept before shadow migration 2, or without a caller
 * before migration 4) its caller's id from its record, '' for none, by `shadow_record_key_id`,
 * which never fails (migration 3), a batch at a time in `seq` order after the migrations committed:
 * every node's shadow writes go on meanwhile, and have theirs (from the writer, or from the trigger
 * for an older release's node), which are kept. Until it is done, a filter by caller also reads
 * the record of a pair still NULL (postgres-shadow-store.ts). Done, it also marks the older
 * release's backfill of the pairs kept before migration 2 (version 1), which this covers.
 */
export const shadowKeyIdBackfill: Backfill = {
  mark: { component: "shadow.key_id", version: 2 },
  covers: [{ component: "shadow.key_id", version: 1 }],
  what: "shadow pairs' caller ids",
  async left(sql) {
    const [row]: { n: number }[] =
      await sql`SELECT count(*)::int AS n FROM shadow_pairs WHERE key_id IS NULL`;
    return row?.n ?? 0;
  },
  async step(tx, after, rows) {
    const [batch]: { last: string | null; rows: number }[] = await tx`
      WITH batch AS (
        SELECT seq FROM shadow_pairs WHERE seq > ${after ?? "0"} ORDER BY seq LIMIT ${rows}
      ), filled AS (
        UPDATE shadow_pairs p SET key_id = coalesce(shadow_record_key_id(p.record), '')
        FROM batch WHERE p.seq = batch.seq AND p.key_id IS NULL
        RETURNING 1
      )
      SELECT max(seq)::text AS last, (SELECT count(*)::int FROM filled) AS rows FROM batch`;
    return batch?.last ? { after: batch.last, rows: batch.rows } : null;
  },
  async rowAfter(sql, after) {
    const [row]: { seq: string }[] =
      await sql`SELECT seq::text AS seq FROM shadow_pairs WHERE seq > ${after ?? "0"} ORDER BY seq LIMIT 1`;
    return row ? `shadow_pairs WHERE seq = ${row.seq}` : null;
  },
};

/**
 * A filter by caller: `key_id`, or the record of a pair the backfill has not reached, parsed only
 * where its text holds the caller's id as JSON writes it (every pair not reached is read, each page,
 * until the backfill is done: a string search, not a parse in a subtransaction each).
 */
export const callerClause = (param: string, backfilled: boolean) =>
  backfilled
    ? `key_id = ${param}`
    : `(key_id = ${param} OR (key_id IS NULL AND CASE
        WHEN strpos(record, '"keyId":' || to_json(${param}::text)::text) > 0 THEN shadow_record_key_id(record) = ${param}
        ELSE false END))`;
