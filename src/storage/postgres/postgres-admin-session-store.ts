import type { SQL } from "bun";
import { type AdminSessionRow, toStoredSession } from "../admin-session-row.ts";
import type { AdminSessionStore } from "../storage.ts";
import { guarded } from "./postgres-failure.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { adminSessionMigrations } from "./postgres-migrations.ts";

/** AdminSessionStore over PostgreSQL: a session opened on one node is valid on every node. */
export async function createPostgresAdminSessionStore(sql: SQL): Promise<AdminSessionStore> {
  await migratePostgres(sql, "admin_sessions", adminSessionMigrations);
  return {
    save: (s) =>
      guarded(async () => {
        await sql`INSERT INTO admin_sessions (id_hash, csrf, principal, method, key_id, created_at, expires_at)
          VALUES (${s.idHash}, ${s.csrf}, ${s.principal}, ${s.method}, ${s.keyId}, ${s.createdAt}, ${s.expiresAt})`;
      }),
    get: (idHash, now) =>
      guarded(async () => {
        const rows: AdminSessionRow[] =
          await sql`SELECT * FROM admin_sessions WHERE id_hash = ${idHash} AND expires_at > ${now}`;
        const row = rows[0];
        return row ? toStoredSession(row) : null;
      }),
    delete: (idHash) =>
      guarded(async () => {
        await sql`DELETE FROM admin_sessions WHERE id_hash = ${idHash}`;
      }),
    prune: (now) =>
      guarded(async () => {
        const rows: { id_hash: string }[] =
          await sql`DELETE FROM admin_sessions WHERE expires_at <= ${now} RETURNING id_hash`;
        return rows.length;
      }),
  };
}
