import { Database } from "bun:sqlite";
import { afterEach, expect, test } from "bun:test";
import { keyRecord } from "../../testing/key-record.ts";
import { ServeLockHeld, serveLockPath, takeServeLock } from "./serve-lock.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";
import { tempDir } from "./test-helpers.ts";

const cleanups: (() => void)[] = [];
afterEach(() => {
  for (const cleanup of cleanups.splice(0).reverse()) cleanup();
});

function database(): string {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  return dir.file("mindgw.db");
}

test("a second hold on one database is refused, naming the holder's pid; once released it is taken again", () => {
  const path = database();
  const first = takeServeLock(path);
  let refused: unknown;
  try {
    takeServeLock(path).release();
  } catch (error) {
    refused = error;
  }
  expect(refused).toBeInstanceOf(ServeLockHeld);
  expect((refused as ServeLockHeld).holder?.pid).toBe(process.pid);
  expect((refused as Error).message).toContain(
    `storage.path ${path} is in use by another mindgw serve (pid ${process.pid}`,
  );
  first.release();
  takeServeLock(path).release();
});

test("the database itself stays open to others while the lock is held: keys are written and read beside it", async () => {
  const path = database();
  const lock = takeServeLock(path);
  cleanups.push(() => lock.release());
  const storage = openSqliteStorage(path);
  try {
    await storage.keys.create(keyRecord({ id: "k1", name: "beside", createdAt: 1 }));
    expect((await storage.keys.getById("k1"))?.name).toBe("beside");
  } finally {
    await storage.close();
  }
});

test("a start that commits its pid in the gap of another's commit and hold takes the lock alone: the other's hold is refused", () => {
  const path = database();
  // The other start's steps as takeServeLock does them, stopped between its pid commit and its hold.
  const other = new Database(serveLockPath(path), { create: true, strict: true });
  cleanups.push(() => other.close());
  other.run("PRAGMA busy_timeout = 50");
  other.run("PRAGMA journal_mode = DELETE");
  other.run(
    "CREATE TABLE IF NOT EXISTS holder (one INTEGER PRIMARY KEY CHECK (one = 1), pid INTEGER NOT NULL, since INTEGER NOT NULL)",
  );
  other
    .transaction(() => other.run("INSERT OR REPLACE INTO holder (one, pid, since) VALUES (1, 111, 1)"))
    .immediate();
  const lock = takeServeLock(path);
  cleanups.push(() => lock.release());
  let refused: unknown;
  try {
    other.run("BEGIN IMMEDIATE");
  } catch (error) {
    refused = error;
  }
  expect((refused as { code?: string } | undefined)?.code).toBe("SQLITE_BUSY");
  expect(other.query<{ pid: number }, []>("SELECT pid FROM holder").get()?.pid).toBe(process.pid);
});

test("a start refused while the lock is held names the holder, whose row the lock file keeps", () => {
  const path = database();
  const lock = takeServeLock(path);
  cleanups.push(() => lock.release());
  const reader = new Database(serveLockPath(path), { readonly: true, strict: true });
  cleanups.push(() => reader.close());
  expect(reader.query<{ pid: number }, []>("SELECT pid FROM holder").get()?.pid).toBe(process.pid);
});
