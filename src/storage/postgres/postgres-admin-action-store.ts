import type { SQL } from "bun";
import { type AdminActionRow, toStoredAction } from "../admin-action-row.ts";
import type { AdminActionStore } from "../storage.ts";
import { adminActionMigrations } from "./postgres-admin-action-migrations.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { migratePostgres } from "./postgres-migrate.ts";

/** AdminActionStore over PostgreSQL: every node appends to one log; pages walk the id. */
export async function createPostgresAdminActionStore(
  sql: SQL,
  calls: PostgresCalls,
): Promise<AdminActionStore> {
  await migratePostgres(sql, "admin_actions", adminActionMigrations);
  return {
    async append(a) {
      await calls.write(
        (
          db,
        ) => db`INSERT INTO admin_actions (at, actor, actor_key_id, via, action, target, detail, client_ip, request_id)
          VALUES (${a.at}, ${a.actor}, ${a.actorKeyId}, ${a.via}, ${a.action}, ${a.target}, ${a.detail}, ${a.clientIp}, ${a.requestId})`,
      );
    },
    async list({ before, limit, keys, actor }) {
      const params: (string | number)[] = [before ?? Number.MAX_SAFE_INTEGER];
      const conditions = ["id < $1"];
      if (keys !== undefined) {
        // The keys as one JSON array, as in SQLite: any number of them in one parameter.
        params.push(JSON.stringify(keys));
        conditions.push(
          `coalesce(target, actor_key_id) IN (SELECT json_array_elements_text($${params.length}::text::json))`,
        );
      }
      if (actor !== undefined) {
        params.push(actor);
        conditions.push(`actor_key_id = $${params.length}`);
      }
      params.push(limit);
      const rows: AdminActionRow[] = await calls.read((db) =>
        db.unsafe(
          `SELECT * FROM admin_actions WHERE ${conditions.join(" AND ")} ORDER BY id DESC LIMIT $${params.length}`,
          params,
        ),
      );
      return rows.map(toStoredAction);
    },
  };
}
