import type { Database } from "bun:sqlite";
import { type ResponseRow, storedResponseOf } from "../response-row.ts";
import type { ResponseStore } from "../storage.ts";
import { migrate } from "./migrate.ts";
import { responseMigrations } from "./response-migrations.ts";

/** ResponseStore over bun:sqlite: one row per (tenant, id), the tenant column holding the caller's scope (http/response-scope.ts), both JSON columns as text. */
export function createSqliteResponseStore(db: Database): ResponseStore {
  migrate(db, "responses", responseMigrations);
  const upsert = db.query(
    `INSERT OR REPLACE INTO stored_responses (tenant, id, response, items, created_at, holder)
     VALUES (?, ?, ?, ?, ?, ?)`,
  );
  const one = db.query<ResponseRow, [string, string]>(
    "SELECT tenant, id, response, items, created_at, holder FROM stored_responses WHERE tenant = ? AND id = ?",
  );
  const prune = db.query<never, [number, number]>(
    `DELETE FROM stored_responses WHERE rowid IN
       (SELECT rowid FROM stored_responses WHERE created_at < ? ORDER BY created_at LIMIT ?)`,
  );
  const remove = db.query<never, [string, string]>(
    "DELETE FROM stored_responses WHERE tenant = ? AND id = ?",
  );
  return {
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
      );
    },
    async get(tenant, id) {
      const row = one.get(tenant, id);
      return row ? storedResponseOf(row) : null;
    },
  };
}
