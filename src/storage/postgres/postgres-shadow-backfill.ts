import type { SQL } from "bun";
import { backfillOnce } from "./postgres-backfill.ts";

/** Pairs read per batch. */
const BATCH = 500;

/**
 * Gives the pairs kept before shadow migration 2 their caller's id (`key_id`) from their record,
 * by `shadow_record_key_id`, which never fails (migration 3), a batch at a time in `seq` order
 * after the migration committed: every node's shadow writes go on meanwhile. Pairs written since
 * have theirs (from the writer, or from the trigger for an older release's node) and are kept;
 * the walk ends at the last pair there was when it began.
 */
export function backfillShadowKeyIds(sql: SQL): Promise<void> {
  let end = "0";
  return backfillOnce<string>(sql, { component: "shadow.key_id", version: 1 }, async (after) => {
    if (after === null) {
      const [last]: { seq: string | null }[] = await sql`SELECT max(seq)::text AS seq FROM shadow_pairs`;
      end = last?.seq ?? "0";
    }
    const [batch]: { last: string | null }[] = await sql`
      WITH batch AS (
        SELECT seq FROM shadow_pairs WHERE seq > ${after ?? "0"} AND seq <= ${end} ORDER BY seq LIMIT ${BATCH}
      ), found AS (
        SELECT p.seq, shadow_record_key_id(p.record) AS key_id
        FROM shadow_pairs p JOIN batch USING (seq) WHERE p.key_id IS NULL
      ), filled AS (
        UPDATE shadow_pairs p SET key_id = found.key_id
        FROM found WHERE p.seq = found.seq AND found.key_id IS NOT NULL AND p.key_id IS NULL
      )
      SELECT max(seq)::text AS last FROM batch`;
    return batch?.last ?? null;
  });
}
