import type { SQL } from "bun";
import { type AdminActionRow, toStoredAction } from "../admin-action-row.ts";
import type { AdminActionStore } from "../storage.ts";
import { guarded } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { adminActionMigrations } from "./postgres-migrations.ts";

/** AdminActionStore over PostgreSQL: every node appends to one log; pages walk the id. */
export async function createPostgresAdminActionStore(sql: SQL): Promise<AdminActionStore> {
  await migratePostgres(sql, "admin_actions", adminActionMigrations);
  return {
    append: (a) =>
      guarded(async () => {
        await sql`INSERT INTO admin_actions (at, actor, actor_key_id, via, action, target, detail, client_ip, request_id)
          VALUES (${a.at}, ${a.actor}, ${a.actorKeyId}, ${a.via}, ${a.action}, ${a.target}, ${a.detail}, ${a.clientIp}, ${a.requestId})`;
      }),
    list: ({ before, limit, keys }) =>
      guarded(async () => {
        const below = before ?? Number.MAX_SAFE_INTEGER;
        const rows: AdminActionRow[] =
          keys === undefined
            ? await sql`SELECT * FROM admin_actions WHERE id < ${below} ORDER BY id DESC LIMIT ${limit}`
            : await sql`SELECT * FROM admin_actions WHERE id < ${below}
                AND coalesce(target, actor_key_id) = ANY(${sql.array([...keys], "TEXT")}::text[])
                ORDER BY id DESC LIMIT ${limit}`;
        return rows.map(toStoredAction);
      }),
  };
}
