import type { Storage } from "../storage.ts";
import { createPostgresAdminActionStore } from "./postgres-admin-action-store.ts";
import { createPostgresAdminSessionStore } from "./postgres-admin-session-store.ts";
import { createPostgresAuditStore } from "./postgres-audit-store.ts";
import { runBackfill } from "./postgres-backfill.ts";
import { postgresCalls, storeCallBoundMs } from "./postgres-calls.ts";
import { connectPostgres, describeConnectFailure, type PostgresOptions } from "./postgres-client.ts";
import { postgresClusterId } from "./postgres-cluster-id.ts";
import { createPostgresKeyStore } from "./postgres-key-store.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { clusterMigrations, sealMigrations } from "./postgres-migrations.ts";
import { createPostgresResponseStore } from "./postgres-response-store.ts";
import { postgresSealSecret } from "./postgres-seal-secret.ts";
import { createPostgresShadowStore } from "./postgres-shadow-store.ts";
import { createPostgresSpendStore } from "./postgres-spend-store.ts";

/**
 * Every store on one PostgreSQL database that several nodes share. Opening migrates each
 * component (under an advisory lock, so nodes starting together apply each step once); after
 * that every store call is bounded (postgres-calls.ts). The rows the migrations left to fill are
 * filled by `backfill`, which the serving node runs once it answers (postgres-backfill.ts).
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
    const calls = postgresCalls(sql, storeCallBoundMs(options.statementTimeoutMs, options.idleTimeoutMs));
    const keys = await createPostgresKeyStore(sql, calls);
    const spend = await createPostgresSpendStore(sql, calls);
    const responses = await createPostgresResponseStore(sql, calls);
    const audit = await createPostgresAuditStore(sql, calls, options);
    const adminActions = await createPostgresAdminActionStore(sql, calls);
    const adminSessions = await createPostgresAdminSessionStore(sql, calls);
    const shadow = await createPostgresShadowStore(sql, calls);
    // The table only: the id is read (and made, the first time) when a cluster node asks for it.
    await migratePostgres(sql, "cluster", clusterMigrations);
    await migratePostgres(sql, "seal", sealMigrations);
    const stopping = new AbortController();
    let backfilling: Promise<void> | undefined;
    return {
      keys,
      spend,
      responses: responses.store,
      audit,
      adminActions,
      adminSessions,
      shadow: shadow.store,
      clusterId: () => postgresClusterId(calls),
      sealSecret: () => postgresSealSecret(calls),
      backfill(log) {
        // One after the other: a node's backfills share its pool with its requests. The item
        // index first: until it is done, a Responses request carrying an id it misses searches the
        // responses not reached (seconds on a large table), where only the Shadow page and report
        // filtered by caller search the pairs not reached (milliseconds).
        backfilling ??= (async () => {
          for (const state of [responses.backfill, shadow.backfill])
            if (!state.done) await runBackfill(sql, state, { log, stopping: stopping.signal });
        })();
        return backfilling;
      },
      async close() {
        // Nothing waits for the backfill: stopping ends its batch under way (rolled back).
        stopping.abort();
        await audit.close();
        await sql.close({ timeout: 5 });
        await backfilling;
      },
    };
  } catch (error) {
    await sql.close({ timeout: 1 });
    throw error;
  }
}
