import type { SQL } from "bun";
import { backfillOnce } from "./postgres-backfill.ts";

/** Rows read per batch. */
const BATCH = 500;

/** Where a batch of `stored_responses` stopped: the keyset of its primary key. */
interface ResponseKey {
  tenant: string;
  id: string;
}

/**
 * Fills the item index (`stored_response_items`, responses migration 4) from the rows stored
 * before it, a batch of rows at a time (keyset on the primary key) after the migration committed,
 * outside its lock: the nodes' Responses writes, an older release's included, go on meanwhile, the
 * triggers indexing them. An entry the triggers wrote is kept (`ON CONFLICT DO NOTHING`): it is
 * the newer. A response is read by `stored_response_item_ids` (responses migration 5), which never
 * fails: one PostgreSQL's JSON reader refuses stops no node from starting.
 */
export function backfillResponseItems(sql: SQL): Promise<void> {
  return backfillOnce<ResponseKey>(sql, { component: "responses.item_index", version: 1 }, async (after) => {
    const from = after ?? { tenant: "", id: "" };
    const first = after === null;
    const last: ResponseKey[] = await sql`
      WITH batch AS (
        SELECT tenant, id, response FROM stored_responses
        WHERE ${first} OR (tenant, id) > (${from.tenant}, ${from.id})
        ORDER BY tenant, id LIMIT ${BATCH}
      ), indexed AS (
        INSERT INTO stored_response_items (tenant, item_id, response_id)
        SELECT b.tenant, item_id, b.id
        FROM batch b, unnest(stored_response_item_ids(b.response)) AS item_id
        ON CONFLICT (tenant, item_id) DO NOTHING
      )
      SELECT tenant, id FROM batch ORDER BY tenant DESC, id DESC LIMIT 1`;
    return last[0] ?? null;
  });
}
