import type { Database } from "bun:sqlite";
import { type AdminSessionRow, toStoredSession } from "../admin-session-row.ts";
import type { AdminSessionStore } from "../storage.ts";
import { adminSessionMigrations } from "./admin-session-migrations.ts";
import { migrate } from "./migrate.ts";

/** AdminSessionStore over bun:sqlite: sessions survive a restart of this node. */
export function createSqliteAdminSessionStore(db: Database): AdminSessionStore {
  migrate(db, "admin_sessions", adminSessionMigrations);
  const insert = db.query(
    `INSERT INTO admin_sessions (id_hash, csrf, principal, method, key_id, created_at, expires_at, used_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const used = db.query("UPDATE admin_sessions SET used_at = ? WHERE id_hash = ?");
  const find = db.query<AdminSessionRow, [string, number]>(
    "SELECT * FROM admin_sessions WHERE id_hash = ? AND expires_at > ?",
  );
  const remove = db.query("DELETE FROM admin_sessions WHERE id_hash = ?");
  const expired = db.query("DELETE FROM admin_sessions WHERE expires_at <= ?");
  return {
    async save(s) {
      insert.run(s.idHash, s.csrf, s.principal, s.method, s.keyId, s.createdAt, s.expiresAt, s.usedAt);
    },
    async get(idHash, now) {
      const row = find.get(idHash, now);
      return row ? toStoredSession(row) : null;
    },
    async delete(idHash) {
      remove.run(idHash);
    },
    async touch(idHash, at) {
      used.run(at, idHash);
    },
    async prune(now) {
      return expired.run(now).changes;
    },
  };
}
