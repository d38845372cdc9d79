import type { Backfill } from "./postgres-backfill.ts";

/** Where a batch of `stored_responses` stopped: the keyset of its primary key, kept as JSON. */
type ResponseKey = [tenant: string, id: string];

const keyOf = (after: string | null): ResponseKey | null => (after === null ? null : JSON.parse(after));

/**
 * Fills the item index (`stored_response_items`, responses migration 4) from the rows stored
 * before it, a batch of rows at a time (keyset on the primary key) after the migration committed,
 * outside its lock: the nodes' Responses writes, an older release's included, go on meanwhile, the
 * triggers indexing them. An entry the triggers wrote is kept (`ON CONFLICT DO NOTHING`): it is
 * the newer. A response is read by `stored_response_item_ids` (responses migration 5), which never
 * fails: one PostgreSQL's JSON reader refuses stops no batch. Until it is done, `responseOfItem`
 * looks past its position itself (postgres-item-lookup.ts).
 */
export const responseItemBackfill: Backfill = {
  mark: { component: "responses.item_index", version: 1 },
  what: "stored responses' item index",
  async left(sql, after) {
    const from = keyOf(after);
    const [row]: { n: number }[] = await sql`SELECT count(*)::int AS n FROM stored_responses
      WHERE ${from === null} OR (tenant, id) > (${from?.[0] ?? ""}, ${from?.[1] ?? ""})`;
    return row?.n ?? 0;
  },
  async step(tx, after, rows) {
    const from = keyOf(after);
    const [last]: { tenant: string; id: string; rows: number }[] = await tx`
      WITH batch AS (
        SELECT tenant, id, response FROM stored_responses
        WHERE ${from === null} OR (tenant, id) > (${from?.[0] ?? ""}, ${from?.[1] ?? ""})
        ORDER BY tenant, id LIMIT ${rows}
      ), indexed AS (
        INSERT INTO stored_response_items (tenant, item_id, response_id)
        SELECT b.tenant, item_id, b.id
        FROM batch b, unnest(stored_response_item_ids(b.response)) AS item_id
        ON CONFLICT (tenant, item_id) DO NOTHING
        RETURNING tenant, response_id
      )
      SELECT tenant, id, (SELECT count(DISTINCT (tenant, response_id))::int FROM indexed) AS rows
      FROM batch ORDER BY tenant DESC, id DESC LIMIT 1`;
    return last ? { after: JSON.stringify([last.tenant, last.id]), rows: last.rows } : null;
  },
  async rowAfter(sql, after) {
    const from = keyOf(after);
    const [row]: { tenant: string; id: string }[] = await sql`SELECT tenant, id FROM stored_responses
      WHERE ${from === null} OR (tenant, id) > (${from?.[0] ?? ""}, ${from?.[1] ?? ""})
      ORDER BY tenant, id LIMIT 1`;
    return row ? `stored_responses WHERE tenant = ${literal(row.tenant)} AND id = ${literal(row.id)}` : null;
  },
};

/** A value as an SQL string literal, for a condition the log gives an operator to run. */
const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;
