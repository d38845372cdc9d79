import type { Config } from "../config/config-schema.ts";
import { openPostgresStorage } from "./postgres/postgres-storage.ts";
import { openSqliteStorage } from "./sqlite/sqlite-storage.ts";
import type { Storage } from "./storage.ts";

/** The store `storage.driver` names: SQLite at `storage.path`, or PostgreSQL at `storage.url`. */
export async function openStorage(config: Config["storage"]): Promise<Storage> {
  if (config.driver === "sqlite") return openSqliteStorage(config.path);
  if (!config.url) throw new Error("storage.url is required with driver: postgres");
  return openPostgresStorage({
    url: config.url,
    pool: config.pool,
    statementTimeoutMs: config.statement_timeout,
    connectTimeoutMs: config.connect_timeout,
    sslmode: config.sslmode,
    sslrootcert: config.sslrootcert,
  });
}
