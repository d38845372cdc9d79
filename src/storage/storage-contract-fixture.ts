import { afterAll, beforeAll } from "bun:test";
import { type PostgresServer, startPostgres } from "../../test/e2e/harness/postgres-server.ts";
import { openPostgresStorage } from "./postgres/postgres-storage.ts";
import { openSqliteStorage } from "./sqlite/sqlite-storage.ts";
import { tempDir } from "./sqlite/test-helpers.ts";
import type { Storage } from "./storage.ts";

// One contract, every backend (test support, not shipped): the storage-contract*.test.ts files
// run the same assertions against SQLite (a temp file) and PostgreSQL (a real server). A new
// backend adds one line to `contractBackends`.

/** A backend's name, and how to open a fresh, empty store on it (closed after the file's tests). */
export type Backend = readonly [name: string, fresh: () => Promise<Storage>];

const pgOptions = (url: string) => ({
  url,
  pool: 4,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 2_000,
  sslmode: "disable" as const,
});

/**
 * Every backend, for the calling test file: call it at the file's top level. It starts a
 * PostgreSQL server and a temp directory before the file's tests and removes both after them.
 */
export function contractBackends(): Backend[] {
  const tmp = tempDir();
  let postgres: PostgresServer | undefined;
  const opened: Storage[] = [];
  beforeAll(async () => {
    postgres = await startPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const storage of opened.splice(0)) await storage.close();
    await postgres?.stop();
    tmp.cleanup();
  });
  let files = 0;
  const fresh = (open: () => Promise<Storage>) => async () => {
    const storage = await open();
    opened.push(storage);
    return storage;
  };
  const started = () => {
    if (!postgres) throw new Error("the contract's PostgreSQL server is not started");
    return postgres;
  };
  return [
    ["sqlite", fresh(async () => openSqliteStorage(tmp.file(`contract-${++files}.db`)))],
    ["postgres", fresh(async () => openPostgresStorage(pgOptions(await started().createDatabase())))],
  ];
}
