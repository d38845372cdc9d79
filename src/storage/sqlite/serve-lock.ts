import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { cannotOpen, isCannotOpen } from "./cannot-open.ts";

/** How long a start waits for another start's hold on the lock to settle before it reads who holds it. */
const SETTLE_MS = 1000;

/** Who holds a database's serve lock, as the lock file says. */
export interface ServeLockHolder {
  readonly pid: number;
  /** Epoch milliseconds. */
  readonly since: number;
}

/** Refused: another `mindgw serve` holds the database. */
export class ServeLockHeld extends Error {
  constructor(
    readonly path: string,
    readonly holder: ServeLockHolder | null,
  ) {
    const who = holder
      ? `pid ${holder.pid}, serving since ${new Date(holder.since).toISOString()}`
      : "its pid not written yet";
    super(
      `storage.path ${path} is in use by another mindgw serve (${who}): two gateways on one SQLite file interleave their retention, spend and stored responses; stop that one first, or give this one its own storage.path (\`mindgw audit\` and \`mindgw keys\` run beside it)`,
    );
  }
}

/** Held for the life of a `serve` process: released by `release`, or by the process's end, kill -9 included. */
export interface ServeLock {
  release(): void;
}

/** The lock file of a database: beside it, its name and `.lock`. */
export const serveLockPath = (databasePath: string): string => `${databasePath}.lock`;

const busy = (error: unknown) => (error as { code?: unknown } | null)?.code === "SQLITE_BUSY";

/**
 * Takes the serve lock of the SQLite file at `databasePath`, or throws `ServeLockHeld` naming
 * the process that has it. The lock is SQLite's own file lock on a small side database
 * (`<path>.lock`, rollback journal): the holder writes its pid there, then keeps a read
 * transaction open, whose shared lock no other process's commit can pass. The operating system
 * drops it when the process ends however it ends, so a kill -9'd gateway's lock never outlives it
 * and needs no cleaning. The database itself is untouched: the CLI's reads and key writes go on.
 * An in-memory database is no one else's: nothing to hold.
 */
export function takeServeLock(databasePath: string): ServeLock {
  if (databasePath === ":memory:" || databasePath === "") return { release() {} };
  const db = openLockFile(databasePath);
  try {
    db.run(`PRAGMA busy_timeout = ${SETTLE_MS}`);
    db.run("PRAGMA journal_mode = DELETE");
    db.run(
      "CREATE TABLE IF NOT EXISTS holder (one INTEGER PRIMARY KEY CHECK (one = 1), pid INTEGER NOT NULL, since INTEGER NOT NULL)",
    );
    db.transaction(() =>
      db.run("INSERT OR REPLACE INTO holder (one, pid, since) VALUES (1, ?, ?)", [process.pid, Date.now()]),
    ).immediate();
    // The hold: a read transaction's shared lock, kept until release or exit.
    db.run("BEGIN");
    db.query("SELECT pid FROM holder").get();
  } catch (error) {
    const held = busy(error) ? new ServeLockHeld(databasePath, holderOf(db)) : error;
    db.close();
    throw held;
  }
  return {
    release() {
      db.close();
    },
  };
}

/** The lock file, opened; one that cannot be made is told as the database would be (open-storage.ts). */
function openLockFile(databasePath: string): Database {
  const path = serveLockPath(databasePath);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw cannotOpen(databasePath, error instanceof Error ? error.message : String(error), error);
  }
  try {
    return new Database(path, { create: true, strict: true });
  } catch (error) {
    const reason = `its serve lock ${path}: ${error instanceof Error ? error.message : String(error)}`;
    throw isCannotOpen(error) ? cannotOpen(databasePath, reason, error) : error;
  }
}

function holderOf(db: Database): ServeLockHolder | null {
  try {
    return db.query<ServeLockHolder, []>("SELECT pid, since FROM holder").get();
  } catch {
    return null;
  }
}
