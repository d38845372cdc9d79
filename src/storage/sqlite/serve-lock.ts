import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { messageOf } from "../../core/describe-error.ts";
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
 * (`<path>.lock`, rollback journal): the holder commits its pid there, then keeps a write
 * transaction open (`BEGIN IMMEDIATE`), whose RESERVED lock no other writer can pass, yet which
 * lets a refused start read who holds it. A read transaction would not do: shared locks do not
 * exclude each other, so a start that committed its pid between another's commit and hold held
 * beside it. The operating system drops the lock when the process ends however it ends, so a
 * kill -9'd gateway's lock never outlives it and needs no cleaning. The database itself is
 * untouched: the CLI's reads and key writes go on. An in-memory database is no one else's:
 * nothing to hold.
 */
export function takeServeLock(databasePath: string): ServeLock {
  if (databasePath === ":memory:" || databasePath === "") return { release() {} };
  const db = openLockFile(databasePath);
  const start: HoldAttempt = {};
  try {
    db.run(`PRAGMA busy_timeout = ${SETTLE_MS}`);
    db.run("PRAGMA journal_mode = DELETE");
    db.run(
      "CREATE TABLE IF NOT EXISTS holder (one INTEGER PRIMARY KEY CHECK (one = 1), pid INTEGER NOT NULL, since INTEGER NOT NULL)",
    );
    holdWithPid(db, start);
  } catch (error) {
    const held = busy(error) ? new ServeLockHeld(databasePath, holderBesides(db, start.written)) : error;
    db.close();
    throw held;
  }
  return {
    release() {
      db.close();
    },
  };
}

/** What a start wrote last, to tell its own row from the holder's. */
interface HoldAttempt {
  written?: ServeLockHolder;
}

/** Tries before a start that keeps finding another's pid under its hold gives up. */
const HOLD_TRIES = 3;

/**
 * Commits this process's pid, then holds. A start that wrote in the gap between this one's commit
 * and hold leaves its pid under this hold: then this one lets go and writes again, so the row
 * names the holder once the hold is kept. Throws SQLITE_BUSY when another holds.
 */
function holdWithPid(db: Database, attempt: HoldAttempt): void {
  for (let tries = 0; tries < HOLD_TRIES; tries++) {
    const pid = process.pid;
    const since = Date.now();
    db.transaction(() =>
      db.run("INSERT OR REPLACE INTO holder (one, pid, since) VALUES (1, ?, ?)", [pid, since]),
    ).immediate();
    attempt.written = { pid, since };
    db.run("BEGIN IMMEDIATE");
    const row = holderOf(db);
    if (row?.pid === pid && row.since === since) return;
    db.run("ROLLBACK");
  }
  throw Object.assign(new Error("another start keeps writing its pid"), { code: "SQLITE_BUSY" });
}

/** The holder the lock file names, unless it is the row this start wrote itself: then who holds is not known yet. */
function holderBesides(db: Database, written: ServeLockHolder | undefined): ServeLockHolder | null {
  const row = holderOf(db);
  if (row && written && row.pid === written.pid && row.since === written.since) return null;
  return row;
}

/** The lock file, opened; one that cannot be made is told as the database would be (open-storage.ts). */
function openLockFile(databasePath: string): Database {
  const path = serveLockPath(databasePath);
  try {
    mkdirSync(dirname(path), { recursive: true });
  } catch (error) {
    throw cannotOpen(databasePath, messageOf(error), error);
  }
  try {
    return new Database(path, { create: true, strict: true });
  } catch (error) {
    const reason = `its serve lock ${path}: ${messageOf(error)}`;
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
