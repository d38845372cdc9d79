import type { SQL } from "bun";
import type { AdminActionStore, StoredAdminAction } from "../storage.ts";
import { guarded } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { adminActionMigrations } from "./postgres-migrations.ts";

interface Row {
  id: string | number;
  at: string | number;
  actor: string;
  actor_key_id: string | null;
  via: string;
  action: string;
  target: string | null;
  detail: string | null;
  client_ip: string | null;
  request_id: string | null;
}

const toAction = (row: Row): StoredAdminAction => ({
  id: Number(row.id),
  at: Number(row.at),
  actor: row.actor,
  actorKeyId: row.actor_key_id,
  via: row.via,
  action: row.action,
  target: row.target,
  detail: row.detail,
  clientIp: row.client_ip,
  requestId: row.request_id,
});

/** AdminActionStore over PostgreSQL: every node appends to one log; pages walk the id. */
export async function createPostgresAdminActionStore(sql: SQL): Promise<AdminActionStore> {
  await migratePostgres(sql, "admin_actions", adminActionMigrations);
  return {
    append: (a) =>
      guarded(async () => {
        await sql`INSERT INTO admin_actions (at, actor, actor_key_id, via, action, target, detail, client_ip, request_id)
          VALUES (${a.at}, ${a.actor}, ${a.actorKeyId}, ${a.via}, ${a.action}, ${a.target}, ${a.detail}, ${a.clientIp}, ${a.requestId})`;
      }),
    list: ({ before, limit }) =>
      guarded(async () => {
        const rows: Row[] =
          await sql`SELECT * FROM admin_actions WHERE id < ${before ?? Number.MAX_SAFE_INTEGER}
          ORDER BY id DESC LIMIT ${limit}`;
        return rows.map(toAction);
      }),
  };
}
