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
  return {
    async append(a) {
      insert.run(a.at, a.actor, a.actorKeyId, a.via, a.action, a.target, a.detail, a.clientIp, a.requestId);
    },
    async list({ before, limit, keys, actor }) {
      const conditions = ["id < ?"];
      const params: (string | number)[] = [before ?? Number.MAX_SAFE_INTEGER];
      if (keys !== undefined) {
        // The keys as one JSON array: any number of them in one statement.
        conditions.push("coalesce(target, actor_key_id) IN (SELECT value FROM json_each(?))");
        params.push(JSON.stringify(keys));
      }
      if (actor !== undefined) {
        conditions.push("actor_key_id = ?");
        params.push(actor);
      }
      // db.query keeps each of the four statements compiled.
      const page = db.query<AdminActionRow, (string | number)[]>(
        `SELECT * FROM admin_actions WHERE ${conditions.join(" AND ")} ORDER BY id DESC LIMIT ?`,
      );
      return page.all(...params, limit).map(toStoredAction);
    },
  };
}
