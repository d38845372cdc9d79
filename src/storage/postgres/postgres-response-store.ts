import type { SQL } from "bun";
import { chainOf } from "../response-chain.ts";
import { type ResponseRow, storedResponseOf } from "../response-row.ts";
import type { ResponseStore } from "../storage.ts";
import { type BackfillState, backfillState } from "./postgres-backfill.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { responseItemBackfill } from "./postgres-item-backfill.ts";
import { postgresItemLookup } from "./postgres-item-lookup.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { responseMigrations } from "./postgres-response-migrations.ts";

/**
 * ResponseStore over PostgreSQL, so a `previous_response_id` chain continues on whichever node
 * the follow-up lands. JSON is kept as text: the response reads back exactly as it was sent. A
 * chain is read in one recursive query. With it, the item index's backfill
 * (postgres-item-backfill.ts), for the node to run once it serves.
 */
export async function createPostgresResponseStore(
  sql: SQL,
  calls: PostgresCalls,
): Promise<{ store: ResponseStore; backfill: BackfillState }> {
  await migratePostgres(sql, "responses", responseMigrations);
  const indexed = await backfillState(sql, responseItemBackfill);
  const closed: { applied_at: string | number }[] =
    await sql`SELECT applied_at FROM schema_migrations WHERE component = 'responses' AND version = 4`;
  const store: ResponseStore = {
    ...(closed[0] ? { labelScopesClosedAt: Number(closed[0].applied_at) } : {}),
    async save(record) {
      const row = {
        tenant: record.tenant,
        id: record.id,
        response: JSON.stringify(record.response),
        items: JSON.stringify(record.items),
        created_at: record.createdAt,
        holder: record.holder ?? null,
        previous_id: record.previousId ?? null,
      };
      await calls.write(
        (db) => db`INSERT INTO stored_responses ${db(row)}
          ON CONFLICT (tenant, id) DO UPDATE
          SET response = excluded.response, items = excluded.items, created_at = excluded.created_at,
            holder = excluded.holder, previous_id = excluded.previous_id`,
      );
    },
    async get(tenant, id) {
      const rows: ResponseRow[] = await calls.read(
        (db) => db`SELECT * FROM stored_responses WHERE tenant = ${tenant} AND id = ${id}`,
      );
      const row = rows[0];
      return row ? storedResponseOf(row) : null;
    },
    async chain(tenant, id) {
      // The response and those it continues, by primary key each; UNION ends ids that loop.
      const rows: ResponseRow[] = await calls.read(
        (db) => db`WITH RECURSIVE up(id) AS (
            SELECT ${id}::text
            UNION
            SELECT r.previous_id FROM stored_responses r JOIN up ON r.tenant = ${tenant} AND r.id = up.id
            WHERE r.previous_id IS NOT NULL
          )
          SELECT r.* FROM up JOIN stored_responses r ON r.tenant = ${tenant} AND r.id = up.id`,
      );
      return chainOf(rows.map(storedResponseOf), id);
    },
    // The index the triggers keep, and until its backfill is done, the rows it has not reached.
    responseOfItem: postgresItemLookup(calls, indexed),
    async delete(tenant, id) {
      const result = await calls.write(
        (db) => db`DELETE FROM stored_responses WHERE tenant = ${tenant} AND id = ${id}`,
      );
      return result.count > 0;
    },
    async noteContainers(tenant, containers, seenAt) {
      const rows = containers.map((container) => ({ tenant, container_id: container, seen_at: seenAt }));
      await calls.write(
        (db) => db`INSERT INTO scope_containers ${db(rows)}
          ON CONFLICT (tenant, container_id) DO UPDATE
          SET seen_at = GREATEST(scope_containers.seen_at, excluded.seen_at)`,
      );
    },
    async forgetContainers(before, limit) {
      const result = await calls.write(
        (db) => db`DELETE FROM scope_containers WHERE ctid IN (SELECT ctid FROM scope_containers
          WHERE seen_at < ${before} LIMIT ${limit})`,
      );
      return result.count;
    },
    async containersSeen(tenant, containers, since) {
      const rows: { container_id: string }[] = await calls.read(
        (db) => db`SELECT container_id FROM scope_containers WHERE tenant = ${tenant}
          AND seen_at >= ${since} AND container_id = ANY(${db.array([...containers], "TEXT")}::text[])`,
      );
      return rows.map((row) => row.container_id);
    },
    async prune(before, limit) {
      const result = await calls.write(
        (db) => db`DELETE FROM stored_responses WHERE ctid IN
          (SELECT ctid FROM stored_responses WHERE created_at < ${before} ORDER BY created_at LIMIT ${limit})`,
      );
      return result.count;
    },
  };
  return { store, backfill: indexed };
}
