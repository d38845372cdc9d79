import { constants, Database } from "bun:sqlite";
import { accessSync, existsSync, constants as fsConstants, lstatSync, mkdirSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { sqliteCode } from "./storage-failure.ts";

/** How long a writer waits for another process's lock (`serve` and `mindgw keys` share a file). */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

export interface OpenDatabaseOptions {
  busyTimeoutMs?: number;
  readonly?: boolean;
}

/**
 * Opens (creating the file and its parent directories) a SQLite database tuned for one
 * writer process plus occasional others: WAL so readers never block the writer,
 * synchronous=NORMAL (durable at each checkpoint, never corrupt), foreign keys on.
 */
export function openDatabase(path: string, options: OpenDatabaseOptions = {}): Database {
  const inMemory = path === ":memory:" || path === "";
  if (!inMemory && !options.readonly) mkdirSync(dirname(path), { recursive: true });
  let db: Database | undefined;
  try {
    db = options.readonly ? openReadOnly(path) : new Database(path, { create: true, strict: true });
    // busy_timeout first: switching to WAL itself needs the lock another process may hold.
    const busyTimeoutMs = Math.max(0, Math.trunc(options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS));
    db.run(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
    if (!options.readonly) enableWal(db, busyTimeoutMs);
    db.run("PRAGMA synchronous = NORMAL");
    db.run("PRAGMA foreign_keys = ON");
    return db;
  } catch (error) {
    db?.close();
    throw naming(error, path);
  }
}

/**
 * A read-only handle. A WAL file's first read needs its `-shm` (the index of the WAL), which SQLite
 * creates beside it when missing: in a folder no one may write (a read-only mount, a snapshot, a
 * stopped gateway's volume mounted readOnly) it cannot, and the read fails `unable to open database
 * file`. Then, and only when the file alone is the whole database, it is opened `immutable`, which
 * needs neither (immutableReason says when it is not).
 */
function openReadOnly(path: string): Database {
  const db = new Database(path, { readonly: true, strict: true });
  try {
    db.query("SELECT count(*) FROM sqlite_master").get();
    return db;
  } catch (error) {
    db.close();
    if (!cannotMakeShm(error) || !existsSync(path)) throw error;
    const refused = immutableRefusal(path);
    if (refused !== undefined)
      throw Object.assign(new Error(`${refused}; copy the files to a writable folder and read the copy`), {
        code: "SQLITE_CANTOPEN",
      });
    // Not strict (Bun's strict mode cannot be set with the URI flag): parameters taken by name bind
    // as under strict mode all the same (open-database.test.ts pins it).
    return new Database(
      `file:${resolve(path).replace(/[?#%]/g, (c) => `%${c.charCodeAt(0).toString(16)}`)}?immutable=1`,
      constants.SQLITE_OPEN_READONLY | constants.SQLITE_OPEN_URI,
    );
  }
}

/**
 * SQLite's answer when it cannot make the `-shm`: `unable to open database file` where the folder
 * refuses with EPERM (a read-only mount, chattr +i), `attempt to write a readonly database`
 * (SQLITE_READONLY_DIRECTORY) where it refuses with EACCES: an operator reading the folder of a
 * gateway run by another user.
 */
const cannotMakeShm = (error: unknown) =>
  ["SQLITE_CANTOPEN", "SQLITE_READONLY_DIRECTORY"].includes(sqliteCode(error) ?? "");

/**
 * Why `path` may not be read immutable, or undefined when it may. SQLite reading immutable ignores
 * any -wal and takes no lock: a -shm there (which it could not open) or a -wal holding anything
 * means writes the file alone lacks, and a folder this process may write is one a gateway could be
 * writing meanwhile (torn reads). A folder no one may write is the case it is for; that no gateway
 * starts on the file while the read runs is the operator's part (docs/DEPLOYMENT.md).
 */
function immutableRefusal(path: string): string | undefined {
  const shm = `${path}-shm`;
  const wal = `${path}-wal`;
  if (lstatSync(shm, { throwIfNoEntry: false }) !== undefined)
    return `cannot open ${shm}: ${wal} may hold writes not yet in the file, which cannot be read without it`;
  if ((statSync(wal, { throwIfNoEntry: false })?.size ?? 0) > 0)
    return `read-only folder and no -shm: ${wal} holds writes not yet in the file, which cannot be read without the ${shm} this folder cannot hold`;
  if (writable(dirname(path)))
    return `cannot open ${path} read-only in a folder this process may write, where a gateway could be writing it`;
  return undefined;
}

function writable(folder: string): boolean {
  try {
    accessSync(folder, fsConstants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * SQLite's own words name no file (`unable to open database file`, `disk I/O error`, `attempt to
 * write a readonly database`): the error, its code kept (a storage failure is told by it:
 * storage-failure.ts), with the setting and the path it opened. A command writing through a
 * handle it opened names its write's failures so too (cli/config-store.ts).
 */
export function naming(error: unknown, path: string): unknown {
  if (error instanceof Error && !error.message.startsWith("storage.path "))
    error.message = `storage.path ${path}: ${error.message}`;
  return error;
}

/**
 * Switches a file to WAL. On a brand-new file that another process is switching at the same
 * moment (`serve` and `mindgw keys` on first start), SQLite answers SQLITE_BUSY without
 * consulting the busy handler, so the wait is done here, bounded by the busy timeout.
 */
function enableWal(db: Database, busyTimeoutMs: number): void {
  const deadline = Date.now() + busyTimeoutMs;
  while (true) {
    try {
      db.run("PRAGMA journal_mode = WAL");
      return;
    } catch (error) {
      const busy = (error as { code?: unknown }).code === "SQLITE_BUSY";
      if (!busy || Date.now() >= deadline) throw error;
      Bun.sleepSync(5 + Math.random() * 20);
    }
  }
}

const closed = new WeakSet<Database>();

/**
 * Checkpoints the WAL into the main file (TRUNCATE leaves an empty -wal behind) and closes.
 * Safe to call twice. A checkpoint that another process blocks is not an error: that
 * process will checkpoint when it closes.
 */
export function closeDatabase(db: Database): void {
  if (closed.has(db)) return;
  closed.add(db);
  try {
    db.run("PRAGMA wal_checkpoint(TRUNCATE)");
  } catch {
    // Busy or read-only: the data is already durable in the WAL.
  }
  db.close();
}
