import type { SQL } from "bun";
import { type AdminActionRow, toStoredAction } from "../admin-action-row.ts";
import type { AdminActionStore } from "../storage.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { adminActionMigrations } from "./postgres-migrations.ts";

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
    async list({ before, limit, keys }) {
      const below = before ?? Number.MAX_SAFE_INTEGER;
      const rows: AdminActionRow[] = await calls.read((db) =>
        keys === undefined
          ? db`SELECT * FROM admin_actions WHERE id < ${below} ORDER BY id DESC LIMIT ${limit}`
          : db`SELECT * FROM admin_actions WHERE id < ${below}
              AND coalesce(target, actor_key_id) = ANY(${db.array([...keys], "TEXT")}::text[])
              ORDER BY id DESC LIMIT ${limit}`,
      );
      return rows.map(toStoredAction);
    },
  };
}
