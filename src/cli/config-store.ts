import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import type { Config } from "../config/config-schema.ts";
import { openStorage } from "../storage/open-storage.ts";
import { databaseName, pendingMigrations, postgresHoldsSchema } from "../storage/pending-migrations.ts";
import { naming } from "../storage/sqlite/open-database.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { sqliteCode } from "../storage/sqlite/storage-failure.ts";
import type { Storage } from "../storage/storage.ts";
import { UsageError } from "./exit-code.ts";

/**
 * Which targets a command takes: a config's store or a gateway (`keys`, `audit query`…), or the
 * store alone (`audit import`, which writes it itself: no --gateway, MINDGW_GATEWAY not read).
 */
export type StoreTargets = "store or gateway" | "store only";

/**
 * Refuses a SQLite path with no file there: a wrong `storage.path`, not a store to create. A
 * relative path is the embedded defaults' (a config file's is placed from its folder, absolute):
 * no storage.path was given, but no target either, which is what to say, as `targets` are.
 */
export function requireDatabaseFile(path: string, targets: StoreTargets = "store or gateway"): void {
  if (path === ":memory:" || existsSync(path)) return;
  if (!isAbsolute(path))
    throw new UsageError(
      targets === "store only"
        ? `no database at ${path}: with no -c FILE or MINDGW_CONFIG given, the embedded defaults' store (./data in the folder this runs in) is written; give the config the gateway serves (-c): audit import writes its store itself, never through a gateway (--gateway, MINDGW_GATEWAY)`
        : `no database at ${path}: with no -c FILE, --gateway URL, MINDGW_CONFIG or MINDGW_GATEWAY given, the embedded defaults' store (./data in the folder this runs in) is read; give the config the gateway serves (-c) or its URL (--gateway)`,
    );
  throw new UsageError(`no database at ${path} (is storage.path right?)`);
}

/**
 * Refuses a PostgreSQL database where mindgw made no tables, for a command that only reads the
 * store: a wrong `storage.url` (a mistyped database name that is another one there), which the
 * opening would otherwise fill with mindgw's empty tables, as SQLite's refuses a path with no file.
 */
export async function requirePostgresSchema(storage: Config["storage"]): Promise<void> {
  if (storage.driver === "postgres" && !(await postgresHoldsSchema(storage)))
    throw new UsageError(
      `no mindgw database at ${databaseName(storage)}: it holds none of mindgw's tables (is storage.url right? \`mindgw serve\` makes them)`,
    );
}

/**
 * What to say once a command created the SQLite file its config names (undefined when the file is
 * there, or the store is not such a file): read before the store is opened, said only once it
 * opened, so a path that cannot be made is its one refusal, not a "creating" followed by it. The
 * first `keys create` before any serve creates it rightly; but after an edit of `storage.path`
 * (restart-only), a gateway already serving the config still has the file it started on, and a
 * key made or revoked here in the new, empty one was never its own, silently. The CLI cannot know
 * which file a running gateway holds (its serve lock lies beside that file), so it says what it
 * did and what that may mean.
 */
export function newDatabaseWarning(storage: Config["storage"]): string | undefined {
  if (storage.driver !== "sqlite" || storage.path === ":memory:" || existsSync(storage.path))
    return undefined;
  return `mindgw: warning: no database at ${storage.path} yet: creating a new, empty one; a gateway already serving this config keeps the database it started on until it restarts (storage.path takes effect at restart), and never sees what is done here`;
}

/**
 * The store a config's gateway keeps, for a command that reads it or adds to it (`shadow report
 * -c`, `audit import`): with `storage.driver: postgres`, the database
 * `storage.url` names, whatever file lies at `storage.path` (one left from before the move, say);
 * else the SQLite file, which must already be there.
 */
export async function openConfigStore(
  config: Config,
  migrate: boolean,
  targets: StoreTargets = "store or gateway",
): Promise<Storage> {
  if (config.storage.driver === "sqlite") requireDatabaseFile(config.storage.path, targets);
  return await openCommandStorage(config.storage, migrate);
}

/**
 * The store, for a command: opening it migrates every component, so a database at an older
 * schema is refused unless `--migrate` says to: after the package is upgraded and before the
 * service restarts, the older `mindgw serve` still serves it, and a command would change its
 * schema under it. A new database (no migration recorded) is created, as the first `keys create`
 * before any serve does.
 */
export async function openCommandStorage(storage: Config["storage"], migrate: boolean): Promise<Storage> {
  if (!migrate) {
    const pending = await pendingMigrations(storage);
    if (pending.length > 0) {
      const at = pending.map((p) => `${p.component}@${p.at}, this release's ${p.latest}`).join("; ");
      throw new UsageError(
        `the database at ${databaseName(storage)} is at an older schema (${at}); start \`mindgw serve\` of this release first, or pass --migrate`,
      );
    }
  }
  return await openStorage(storage).catch((error: unknown) => {
    throw namingStorage(error, storage);
  });
}

/**
 * The store a config's gateway keeps, for a command that only reads it (`tenants -c`): a SQLite
 * file through a read-only handle alone, as `audit query -c` reads it, so that it runs beside a
 * gateway serving from the file and takes no write handle (whose close would checkpoint the
 * gateway's WAL). A file at an older schema, which a read-only handle cannot open, is refused as
 * `openConfigStore` refuses it (or migrated, with `--migrate`); PostgreSQL is opened as it opens it,
 * once it holds mindgw's tables (`requirePostgresSchema`).
 */
export async function openConfigStoreReadOnly(config: Config, migrate: boolean): Promise<Storage> {
  if (config.storage.driver !== "sqlite") {
    await requirePostgresSchema(config.storage);
    return await openConfigStore(config, migrate);
  }
  requireDatabaseFile(config.storage.path);
  if (migrate || (await pendingMigrations(config.storage)).length > 0)
    return await openConfigStore(config, migrate);
  return openSqliteStorage(config.storage.path, { readonly: true });
}

/**
 * A command's failure on the config's SQLite file, named: SQLite's words for a write that failed
 * (`disk I/O error` on a full disk, `attempt to write a readonly database`) name no file, so the
 * setting and the path go before them. Any other failure (PostgreSQL's, a refusal of ours) as it was.
 */
export function namingStorage(error: unknown, storage: Config["storage"]): unknown {
  return storage.driver === "sqlite" && sqliteCode(error) !== null ? naming(error, storage.path) : error;
}
