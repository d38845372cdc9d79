import type { SQL } from "bun";
import { type AdminSessionRow, toStoredSession } from "../admin-session-row.ts";
import type { AdminSessionStore } from "../storage.ts";
import { adminSessionMigrations } from "./postgres-admin-session-migrations.ts";
import type { PostgresCalls } from "./postgres-calls.ts";
import { migratePostgres } from "./postgres-migrate.ts";

/** AdminSessionStore over PostgreSQL: a session opened on one node is valid on every node. */
export async function createPostgresAdminSessionStore(
  sql: SQL,
  calls: PostgresCalls,
): Promise<AdminSessionStore> {
  await migratePostgres(sql, "admin_sessions", adminSessionMigrations);
  return {
    async save(s) {
      await calls.write(
        (
          db,
        ) => db`INSERT INTO admin_sessions (id_hash, csrf, principal, method, key_id, created_at, expires_at, used_at)
          VALUES (${s.idHash}, ${s.csrf}, ${s.principal}, ${s.method}, ${s.keyId}, ${s.createdAt}, ${s.expiresAt}, ${s.usedAt})`,
      );
    },
    async get(idHash, now) {
      const rows: AdminSessionRow[] = await calls.read(
        (db) => db`SELECT * FROM admin_sessions WHERE id_hash = ${idHash} AND expires_at > ${now}`,
      );
      const row = rows[0];
      return row ? toStoredSession(row) : null;
    },
    async delete(idHash) {
      await calls.write((db) => db`DELETE FROM admin_sessions WHERE id_hash = ${idHash}`);
    },
    async touch(idHash, at) {
      await calls.write((db) => db`UPDATE admin_sessions SET used_at = ${at} WHERE id_hash = ${idHash}`);
    },
    async prune(now) {
      const rows: { id_hash: string }[] = await calls.write(
        (db) => db`DELETE FROM admin_sessions WHERE expires_at <= ${now} RETURNING id_hash`,
      );
      return rows.length;
    },
  };
}
