import type { Database } from "bun:sqlite";
import { type AdminActionRow, toStoredAction } from "../admin-action-row.ts";
import type { AdminActionStore } from "../storage.ts";
import { adminActionMigrations } from "./admin-action-migrations.ts";
import { migrate } from "./migrate.ts";

/** AdminActionStore over bun:sqlite; pages walk the rowid, so a page costs its size, not the table's. */
export function createSqliteAdminActionStore(db: Database): AdminActionStore {
  migrate(db, "admin_actions", adminActionMigrations);
  const insert = db.query(
    `INSERT INTO admin_actions (at, actor, actor_key_id, via, action, target, detail, client_ip, request_id)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const page = db.query<AdminActionRow, [number, number]>(
    "SELECT * FROM admin_actions WHERE id < ? ORDER BY id DESC LIMIT ?",
  );
  // The keys as one JSON array: any number of them in one statement.
  const pageOnKeys = db.query<AdminActionRow, [number, string, number]>(
    `SELECT * FROM admin_actions WHERE id < ?
       AND coalesce(target, actor_key_id) IN (SELECT value FROM json_each(?))
     ORDER BY id DESC LIMIT ?`,
  );
  return {
    async append(a) {
      insert.run(a.at, a.actor, a.actorKeyId, a.via, a.action, a.target, a.detail, a.clientIp, a.requestId);
    },
    async list({ before, limit, keys }) {
      const below = before ?? Number.MAX_SAFE_INTEGER;
      const rows =
        keys === undefined ? page.all(below, limit) : pageOnKeys.all(below, JSON.stringify(keys), limit);
      return rows.map(toStoredAction);
    },
  };
}
