import { existsSync } from "node:fs";
import type { Config } from "../config/config-schema.ts";
import { openStorage } from "../storage/open-storage.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import type { Storage } from "../storage/storage.ts";
import { UsageError } from "./exit-code.ts";

/** Refuses a SQLite path with no file there: a wrong `storage.path`, not a store to create. */
export function requireDatabaseFile(path: string): void {
  if (path !== ":memory:" && !existsSync(path))
    throw new UsageError(`no database at ${path} (is storage.path right?)`);
}

/**
 * The store a config's gateway keeps, for a command that reads it or adds to it (`shadow report
 * -c`, `audit import`): with `storage.driver: postgres`, the database
 * `storage.url` names, whatever file lies at `storage.path` (one left from before the move, say);
 * else the SQLite file, which must already be there.
 */
export async function openConfigStore(config: Config): Promise<Storage> {
  if (config.storage.driver === "sqlite") requireDatabaseFile(config.storage.path);
  return await openStorage(config.storage);
}

/**
 * The store a config's gateway keeps, for a command that only reads it (`tenants -c`): a SQLite
 * file through a read-only handle alone, as `audit query -c` reads it, so that it runs beside a
 * gateway serving from the file and takes no write handle (whose close would checkpoint the
 * gateway's WAL); PostgreSQL as `openConfigStore` opens it.
 */
export async function openConfigStoreReadOnly(config: Config): Promise<Storage> {
  if (config.storage.driver !== "sqlite") return await openStorage(config.storage);
  requireDatabaseFile(config.storage.path);
  return openSqliteStorage(config.storage.path, { readonly: true });
}
