import { Database } from "bun:sqlite";
import { afterAll, beforeAll } from "bun:test";
import { SQL } from "bun";
import { type SharedPostgres, sharedPostgres } from "../../test/e2e/harness/shared-postgres.ts";
import { openPostgresStorage } from "./postgres/postgres-storage.ts";
import { openSqliteStorage } from "./sqlite/sqlite-storage.ts";
import { tempDir } from "./sqlite/test-helpers.ts";
import type { Storage, StoredAdminSession } from "./storage.ts";

// One contract, every backend (test support, not shipped): the storage-contract*.test.ts files
// run the same assertions against SQLite (a temp file) and PostgreSQL (a real server). A new
// backend adds one line to `contractBackends`.

/** One database that several nodes open, and the previous release's spend write on it. */
export interface SharedDatabase {
  /** Another node's handle on the same database (closed after the file's tests). */
  open(): Promise<Storage>;
  /** A spend delta as the release before change numbers wrote it: `seq` left alone. */
  addSpendAsPreviousRelease(principal: string, usd: number): Promise<void>;
  /** A console session as the release before `used_at` wrote it: that column left null. */
  addAdminSessionAsPreviousRelease(session: Omit<StoredAdminSession, "usedAt">): Promise<void>;
}

/**
 * A backend's name, how to open a fresh, empty store on it, and a fresh database several nodes
 * share (all closed after the file's tests).
 */
export type Backend = readonly [
  name: string,
  fresh: () => Promise<Storage>,
  shared: () => Promise<SharedDatabase>,
];

/** The spend upsert of the release before `seq` (valid in SQLite and PostgreSQL alike). */
const previousReleaseSpendAdd = `INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES ($1, $2, $3)
  ON CONFLICT (principal) DO UPDATE
  SET spend_usd = key_spend.spend_usd + excluded.spend_usd, updated_at = excluded.updated_at`;

/** The session insert of the release before `used_at` (valid in SQLite and PostgreSQL alike). */
const previousReleaseSessionAdd = `INSERT INTO admin_sessions (id_hash, csrf, principal, method, key_id, created_at, expires_at)
  VALUES ($1, $2, $3, $4, $5, $6, $7)`;
const previousReleaseSessionRow = (s: Omit<StoredAdminSession, "usedAt">) => [
  s.idHash,
  s.csrf,
  s.principal,
  s.method,
  s.keyId,
  s.createdAt,
  s.expiresAt,
];

const pgOptions = (url: string) => ({
  url,
  pool: 4,
  statementTimeoutMs: 10_000,
  connectTimeoutMs: 2_000,
  sslmode: "disable" as const,
});

/**
 * Every backend, for the calling test file: call it at the file's top level. Before the file's
 * tests it makes a temp directory (removed after them) and joins the test process's PostgreSQL
 * server (harness/shared-postgres.ts), on which each store is a database of its own.
 */
export function contractBackends(): Backend[] {
  const tmp = tempDir();
  let postgres: SharedPostgres | undefined;
  const opened: Storage[] = [];
  beforeAll(async () => {
    postgres = await sharedPostgres();
  }, 60_000);
  afterAll(async () => {
    for (const storage of opened.splice(0)) await storage.close();
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
  const sqliteShared = async (): Promise<SharedDatabase> => {
    const path = tmp.file(`contract-${++files}.db`);
    const write = (statement: string, values: (string | number | null)[]) => {
      const db = new Database(path);
      try {
        // As a node's own connection does (sqlite/open-database.ts): wait out another connection's
        // write (a store's audit thread checkpointing its WAL) rather than fail SQLITE_BUSY.
        db.run("PRAGMA busy_timeout = 5000");
        db.run(statement, values);
      } finally {
        db.close();
      }
    };
    return {
      open: fresh(async () => openSqliteStorage(path)),
      async addSpendAsPreviousRelease(principal, usd) {
        write(previousReleaseSpendAdd, [principal, usd, Date.now()]);
      },
      async addAdminSessionAsPreviousRelease(session) {
        write(previousReleaseSessionAdd, previousReleaseSessionRow(session));
      },
    };
  };
  const postgresShared = async (): Promise<SharedDatabase> => {
    const url = await started().createDatabase();
    const write = async (statement: string, values: (string | number | null)[]) => {
      const sql = new SQL({ url, max: 1 });
      try {
        await sql.unsafe(statement, values);
      } finally {
        await sql.close();
      }
    };
    return {
      open: fresh(async () => openPostgresStorage(pgOptions(url))),
      async addSpendAsPreviousRelease(principal, usd) {
        await write(previousReleaseSpendAdd, [principal, usd, Date.now()]);
      },
      async addAdminSessionAsPreviousRelease(session) {
        await write(previousReleaseSessionAdd, previousReleaseSessionRow(session));
      },
    };
  };
  return [
    ["sqlite", fresh(async () => openSqliteStorage(tmp.file(`contract-${++files}.db`))), sqliteShared],
    [
      "postgres",
      fresh(async () => openPostgresStorage(pgOptions(await started().createDatabase()))),
      postgresShared,
    ],
  ];
}
