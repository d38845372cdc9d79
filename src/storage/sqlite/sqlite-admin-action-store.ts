import type { Database } from "bun:sqlite";
import type { AdminActionStore, StoredAdminAction } from "../storage.ts";
import { adminActionMigrations } from "./admin-action-migrations.ts";
import { migrate } from "./migrate.ts";

interface Row {
  id: number;
  at: number;
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
  id: row.id,
  at: row.at,
  actor: row.actor,
  actorKeyId: row.actor_key_id,
  via: row.via,
  action: row.action,
  target: row.target,
  detail: row.detail,
  clientIp: row.client_ip,
  requestId: row.request_id,
});

/** AdminActionStore over bun:sqlite; pages walk the rowid, so a page costs its size, not the table's. */
export function createSqliteAdminActionStore(db: Database): AdminActionStore {
  migrate(db, "admin_actions", adminActionMigrations);
  const insert = db.query(
    `INSERT INTO admin_actions (at, actor, actor_key_id, via, action, target, detail, client_ip, request_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const page = db.query<Row, [number, number]>(
    "SELECT * FROM admin_actions WHERE id < ? ORDER BY id DESC LIMIT ?",
  );
  return {
    async append(a) {
      insert.run(a.at, a.actor, a.actorKeyId, a.via, a.action, a.target, a.detail, a.clientIp, a.requestId);
    },
    async list({ before, limit }) {
      return page.all(before ?? Number.MAX_SAFE_INTEGER, limit).map(toAction);
    },
  };
}
