import type { SQL } from "bun";

/** Rows read per batch: each batch is its own short statement, holding no lock writers wait for. */
const BATCH = 500;

/** The mark in `schema_migrations` that the rows stored before the item index are in it. */
const DONE = { component: "responses.item_index", version: 1 } as const;

/**
 * Fills the item index (`stored_response_items`, responses migration 4) from the rows stored
 * before it, a batch of rows at a time (keyset on the primary key) after the migration committed,
 * outside its lock: the nodes' Responses writes, an older release's included, go on meanwhile, the
 * triggers indexing them. An entry the triggers wrote is kept (`ON CONFLICT DO NOTHING`): it is
 * the newer. Run by every node that opens the store until one marks it done, so a node stopped
 * halfway leaves it to the next, and nodes running it at once write the same rows.
 */
export async function backfillResponseItems(sql: SQL): Promise<void> {
  const done: unknown[] =
    await sql`SELECT 1 FROM schema_migrations WHERE component = ${DONE.component} AND version = ${DONE.version}`;
  if (done.length > 0) return;
  let after: { tenant: string; id: string } | null = null;
  for (;;) {
    const from: { tenant: string; id: string } = after ?? { tenant: "", id: "" };
    const first = after === null;
    const last: { tenant: string; id: string }[] = await sql`
      WITH batch AS (
        SELECT tenant, id, response FROM stored_responses
        WHERE ${first} OR (tenant, id) > (${from.tenant}, ${from.id})
        ORDER BY tenant, id LIMIT ${BATCH}
      ), indexed AS (
        INSERT INTO stored_response_items (tenant, item_id, response_id)
        SELECT DISTINCT b.tenant, item ->> 'id', b.id
        FROM batch b,
          json_array_elements(
            CASE WHEN json_typeof(b.response::json -> 'output') = 'array'
              THEN b.response::json -> 'output' ELSE '[]'::json END
          ) AS item
        WHERE json_typeof(item -> 'id') = 'string'
        ON CONFLICT (tenant, item_id) DO NOTHING
      )
      SELECT tenant, id FROM batch ORDER BY tenant DESC, id DESC LIMIT 1`;
    const next = last[0];
    if (next === undefined) break;
    after = next;
  }
  await sql`INSERT INTO schema_migrations (component, version, applied_at)
    VALUES (${DONE.component}, ${DONE.version}, ${Date.now()})
    ON CONFLICT (component, version) DO NOTHING`;
}
