import type { Database } from "bun:sqlite";
import { chainOf } from "../response-chain.ts";
import { type ResponseRow, storedResponseOf } from "../response-row.ts";
import type { ResponseStore } from "../storage.ts";
import { migrate } from "./migrate.ts";
import { backfillResponseItems } from "./response-item-backfill.ts";
import { responseMigrations } from "./response-migrations.ts";

/**
 * ResponseStore over bun:sqlite: one row per (tenant, id), the tenant column holding the caller's
 * scope (http/response-scope.ts), both JSON columns as text; a chain read in one recursive query.
 */
export function createSqliteResponseStore(db: Database): ResponseStore {
  migrate(db, "responses", responseMigrations);
  backfillResponseItems(db);
  const closed = db
    .query<{ applied_at: number }, []>(
      "SELECT applied_at FROM schema_migrations WHERE component = 'responses' AND version = 4",
    )
    .get();
  const upsert = db.query(
    `INSERT OR REPLACE INTO stored_responses (tenant, id, response, items, created_at, holder, previous_id)
     VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  const one = db.query<ResponseRow, [string, string]>(
    `SELECT tenant, id, response, items, created_at, holder, previous_id FROM stored_responses
     WHERE tenant = ? AND id = ?`,
  );
  // The response and those it continues, by primary key each; UNION ends ids that loop.
  const chain = db.query<ResponseRow, [string, string]>(
    `WITH RECURSIVE up(id) AS (
       SELECT ?2
       UNION
       SELECT r.previous_id FROM stored_responses r JOIN up ON r.tenant = ?1 AND r.id = up.id
       WHERE r.previous_id IS NOT NULL
     )
     SELECT r.tenant, r.id, r.response, r.items, r.created_at, r.holder, r.previous_id
     FROM up JOIN stored_responses r ON r.tenant = ?1 AND r.id = up.id`,
  );
  // The index the triggers keep (response-migrations.ts, version 4).
  const itemHolder = db.query<{ response_id: string }, [string, string]>(
    "SELECT response_id FROM stored_response_items WHERE tenant = ? AND item_id = ?",
  );
  const prune = db.query<never, [number, number]>(
    `DELETE FROM stored_responses WHERE rowid IN
       (SELECT rowid FROM stored_responses WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
  );
  const remove = db.query<never, [string, string]>(
    "DELETE FROM stored_responses WHERE tenant = ? AND id = ?",
  );
  const noteContainer = db.query<never, [string, string, number]>(
    `INSERT INTO scope_containers (tenant, container_id, seen_at) VALUES (?, ?, ?)
     ON CONFLICT (tenant, container_id) DO UPDATE SET seen_at = max(seen_at, excluded.seen_at)`,
  );
  const forgetContainers = db.query<never, [number, number]>(
    `DELETE FROM scope_containers WHERE rowid IN
       (SELECT rowid FROM scope_containers WHERE seen_at < ? LIMIT ?)`,
  );
  const seenContainers = db.query<{ container_id: string }, [string, number, string]>(
    `SELECT container_id FROM scope_containers
     WHERE tenant = ? AND seen_at >= ? AND container_id IN (SELECT value FROM json_each(?))`,
  );
  const noteContainers = db.transaction((tenant: string, containers: readonly string[], seenAt: number) => {
    for (const container of containers) noteContainer.run(tenant, container, seenAt);
  });
  return {
    ...(closed ? { labelScopesClosedAt: closed.applied_at } : {}),
    async delete(tenant, id) {
      return remove.run(tenant, id).changes > 0;
    },
    async prune(before, limit) {
      return prune.run(before, limit).changes;
    },
    async save(record) {
      upsert.run(
        record.tenant,
        record.id,
        JSON.stringify(record.response),
        JSON.stringify(record.items),
        record.createdAt,
        record.holder ?? null,
        record.previousId ?? null,
      );
    },
    async get(tenant, id) {
      const row = one.get(tenant, id);
      return row ? storedResponseOf(row) : null;
    },
    async responseOfItem(tenant, itemId) {
      return itemHolder.get(tenant, itemId)?.response_id ?? null;
    },
    async noteContainers(tenant, containers, seenAt) {
      noteContainers(tenant, containers, seenAt);
    },
    async forgetContainers(before, limit) {
      return forgetContainers.run(before, limit).changes;
    },
    async containersSeen(tenant, containers, since) {
      return seenContainers.all(tenant, since, JSON.stringify(containers)).map((row) => row.container_id);
    },
    async chain(tenant, id) {
      return chainOf(chain.all(tenant, id).map(storedResponseOf), id);
    },
  };
}
