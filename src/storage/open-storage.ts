import type { Config } from "../config/config-schema.ts";
import { messageOf } from "../core/describe-error.ts";
import type { PostgresOptions } from "./postgres/postgres-client.ts";
import { openPostgresStorage } from "./postgres/postgres-storage.ts";
import { cannotOpen, isCannotOpen } from "./sqlite/cannot-open.ts";
import { openSqliteStorage } from "./sqlite/sqlite-storage.ts";
import type { Storage } from "./storage.ts";

/**
 * The store `storage.driver` names: SQLite at `storage.path`, or PostgreSQL at `storage.url`.
 * `idleTimeoutMs`: the serving node's `server.idle_timeout`, which bounds a PostgreSQL store call.
 */
export async function openStorage(config: Config["storage"], idleTimeoutMs?: number): Promise<Storage> {
  if (config.driver === "sqlite") return openSqliteAt(config.path);
  return openPostgresStorage(postgresOptions(config, idleTimeoutMs));
}

/** How `storage:` with `driver: postgres` connects. */
export function postgresOptions(config: Config["storage"], idleTimeoutMs?: number): PostgresOptions {
  if (!config.url) throw new Error("storage.url is required with driver: postgres");
  return {
    url: config.url,
    pool: config.pool,
    statementTimeoutMs: config.statement_timeout,
    idleTimeoutMs,
    connectTimeoutMs: config.connect_timeout,
    sslmode: config.sslmode,
    sslrootcert: config.sslrootcert,
  };
}

/**
 * The SQLite file, or an error that names the setting to change (sqlite/cannot-open.ts). Only a
 * file or folder that cannot be made or opened gets that hint; any other failure (a file that is
 * no database, a migration) is told as it is, already naming storage.path (sqlite/open-database.ts).
 */
function openSqliteAt(path: string): Storage {
  try {
    return openSqliteStorage(path);
  } catch (error) {
    if (!isCannotOpen(error)) throw error;
    const reason = messageOf(error).replace(/^storage\.path \S+: /, "");
    throw cannotOpen(path, reason, error);
  }
}
