import type { Config } from "../config/config-schema.ts";
import { openPostgresStorage } from "./postgres/postgres-storage.ts";
import { openSqliteStorage } from "./sqlite/sqlite-storage.ts";
import type { Storage } from "./storage.ts";

/**
 * The store `storage.driver` names: SQLite at `storage.path`, or PostgreSQL at `storage.url`.
 * `idleTimeoutMs`: the serving node's `server.idle_timeout`, which bounds a PostgreSQL store call.
 */
export async function openStorage(config: Config["storage"], idleTimeoutMs?: number): Promise<Storage> {
  if (config.driver === "sqlite") return openSqliteAt(config.path);
  if (!config.url) throw new Error("storage.url is required with driver: postgres");
  return openPostgresStorage({
    url: config.url,
    pool: config.pool,
    statementTimeoutMs: config.statement_timeout,
    idleTimeoutMs,
    connectTimeoutMs: config.connect_timeout,
    sslmode: config.sslmode,
    sslrootcert: config.sslrootcert,
  });
}

/** Codes that say the file or its folder cannot be made or opened (not a file that is no database). */
const CANNOT_OPEN = new Set([
  "EACCES",
  "EPERM",
  "EROFS",
  "ENOENT",
  "ENOTDIR",
  "EEXIST",
  "SQLITE_CANTOPEN",
  "SQLITE_PERM",
]);

/**
 * The SQLite file, or an error that names the setting to change: a bare "EACCES: permission
 * denied, mkdir '/etc/mindgw/data'" does not say that the folder is storage.path's, nor that a
 * relative path (the default) is read beside the config file rather than in the working directory.
 * Only a file or folder that cannot be made or opened gets that hint; any other failure (a file
 * that is no database, a migration) is told as it is, already naming storage.path
 * (sqlite/open-database.ts).
 */
function openSqliteAt(path: string): Storage {
  try {
    return openSqliteStorage(path);
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code !== "string" || !CANNOT_OPEN.has(code)) throw error;
    const reason = (error instanceof Error ? error.message : String(error)).replace(
      /^storage\.path \S+: /,
      "",
    );
    throw new Error(
      `storage.path: cannot create or open ${path}: ${reason} (its folder must be writable by the user mindgw runs as; a relative storage.path is read from the config file's folder)`,
      { cause: error },
    );
  }
}
