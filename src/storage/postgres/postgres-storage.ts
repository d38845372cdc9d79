import type { Storage } from "../storage.ts";
import { createPostgresAdminActionStore } from "./postgres-admin-action-store.ts";
import { createPostgresAdminSessionStore } from "./postgres-admin-session-store.ts";
import { createPostgresAuditStore } from "./postgres-audit-store.ts";
import { connectPostgres, describeConnectFailure, type PostgresOptions } from "./postgres-client.ts";
import { createPostgresKeyStore } from "./postgres-key-store.ts";
import { createPostgresResponseStore } from "./postgres-response-store.ts";
import { createPostgresShadowStore } from "./postgres-shadow-store.ts";
import { createPostgresSpendStore } from "./postgres-spend-store.ts";

/**
 * Every store on one PostgreSQL database that several nodes share. Opening migrates each
 * component (under an advisory lock, so nodes starting together apply each step once).
 */
export async function openPostgresStorage(options: PostgresOptions): Promise<Storage> {
  const sql = connectPostgres(options);
  try {
    await sql`SELECT 1`;
  } catch (error) {
    await sql.close({ timeout: 1 });
    throw describeConnectFailure(error, options);
  }
  try {
    // In sequence: each migration takes the same advisory lock anyway.
    const keys = await createPostgresKeyStore(sql);
    const spend = await createPostgresSpendStore(sql);
    const responses = await createPostgresResponseStore(sql);
    const audit = await createPostgresAuditStore(sql, options);
    const adminActions = await createPostgresAdminActionStore(sql);
    const adminSessions = await createPostgresAdminSessionStore(sql);
    const shadow = await createPostgresShadowStore(sql);
    return {
      keys,
      spend,
      responses,
      audit,
      adminActions,
      adminSessions,
      shadow,
      async close() {
        await audit.close();
        await sql.close({ timeout: 5 });
      },
    };
  } catch (error) {
    await sql.close({ timeout: 1 });
    throw error;
  }
}
