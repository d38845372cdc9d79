import { afterAll, describe, expect, test } from "bun:test";
import { copyFileSync, existsSync, mkdirSync, readdirSync, statSync, symlinkSync } from "node:fs";
import { dirname } from "node:path";
import { readOnlyPath } from "../../testing/read-only-path.ts";
import { closeDatabase, openDatabase } from "./open-database.ts";
import { sqliteCode } from "./storage-failure.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

describe("openDatabase", () => {
  test("creates parent directories and applies the pragmas", () => {
    const path = tmp.file("nested/deeper/gw.db");
    const db = openDatabase(path);
    expect(existsSync(path)).toBe(true);
    expect(db.query("PRAGMA journal_mode").get()).toEqual({ journal_mode: "wal" });
    expect(db.query("PRAGMA busy_timeout").get()).toEqual({ timeout: 5000 });
    expect(db.query("PRAGMA synchronous").get()).toEqual({ synchronous: 1 });
    expect(db.query("PRAGMA foreign_keys").get()).toEqual({ foreign_keys: 1 });
    closeDatabase(db);
  });

  test("close checkpoints the WAL to empty and is idempotent", () => {
    const path = tmp.file("ckpt.db");
    const db = openDatabase(path);
    db.run("CREATE TABLE t (x TEXT)");
    for (let i = 0; i < 100; i++) db.query("INSERT INTO t VALUES (?)").run("row".repeat(50));
    expect(statSync(`${path}-wal`).size).toBeGreaterThan(0);
    closeDatabase(db);
    closeDatabase(db);
    expect(existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0).toBe(0);
    const again = openDatabase(path);
    expect(again.query("SELECT count(*) AS n FROM t").get()).toEqual({ n: 100 });
    expect(again.query("PRAGMA integrity_check").get()).toEqual({ integrity_check: "ok" });
    closeDatabase(again);
  });

  test("in-memory databases need no directory", () => {
    const db = openDatabase(":memory:");
    db.run("CREATE TABLE t (x INTEGER)");
    closeDatabase(db);
  });
});

test("a database that cannot be opened is named with storage.path and its path, its SQLite code kept", () => {
  // A directory where the file should be: the directory exists, the file cannot be opened (root too).
  const path = tmp.file("a-directory");
  mkdirSync(path);
  let thrown: unknown;
  try {
    openDatabase(path);
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(Error);
  expect((thrown as Error).message).toBe(`storage.path ${path}: unable to open database file`);
  expect(sqliteCode(thrown)).toBe("SQLITE_CANTOPEN");
});

describe("a read-only folder (a read-only mount, a snapshot, a stopped gateway's volume)", () => {
  /** A WAL-mode database with rows in it, closed as a stopping gateway closes it (no -wal, no -shm left). */
  function stoppedGatewayFile(name: string): string {
    const folder = tmp.file(name);
    mkdirSync(folder);
    const path = `${folder}/gw.db`;
    const db = openDatabase(path);
    db.run("CREATE TABLE t (x INTEGER)");
    db.run("INSERT INTO t VALUES (1), (2)");
    closeDatabase(db);
    expect(readdirSync(folder)).toEqual(["gw.db"]);
    return path;
  }

  test("a file with no writes waiting in a -wal is read, though its -shm cannot be made", () => {
    const path = stoppedGatewayFile("frozen");
    const thaw = readOnlyPath(dirname(path));
    try {
      const db = openDatabase(path, { readonly: true });
      // Where the first read said `unable to open database file`.
      expect(db.query("SELECT count(*) AS n FROM t").get()).toEqual({ n: 2 });
      expect(() => db.run("INSERT INTO t VALUES (3)")).toThrow();
      // Not Bun's strict mode, yet a parameter named without its `$` binds as every store's reads bind it.
      expect(db.query("SELECT count(*) AS n FROM t WHERE x = $x").get({ x: 2 })).toEqual({ n: 1 });
      closeDatabase(db);
      expect(readdirSync(dirname(path))).toEqual(["gw.db"]);
    } finally {
      thaw();
    }
  });

  test("writes waiting in a -wal with no -shm beside it: refused, saying so and naming the file", () => {
    const path = stoppedGatewayFile("wal-left");
    // A copy taken while a gateway wrote: the file and its -wal, not the -shm.
    const writer = openDatabase(path);
    writer.run("PRAGMA wal_autocheckpoint = 0");
    writer.run("INSERT INTO t VALUES (3)");
    const copy = tmp.file("wal-copy");
    mkdirSync(copy);
    copyFileSync(path, `${copy}/gw.db`);
    copyFileSync(`${path}-wal`, `${copy}/gw.db-wal`);
    closeDatabase(writer);
    const thaw = readOnlyPath(copy);
    try {
      expect(() => openDatabase(`${copy}/gw.db`, { readonly: true })).toThrow(
        `storage.path ${copy}/gw.db: read-only folder and no -shm: ${copy}/gw.db-wal holds writes not yet in the file`,
      );
    } finally {
      thaw();
    }
  });

  test("a -shm it cannot open beside a -wal holding a committed row: refused, never read without the row", () => {
    const path = stoppedGatewayFile("shm-shut");
    const writer = openDatabase(path);
    writer.run("PRAGMA wal_autocheckpoint = 0");
    writer.run("INSERT INTO t VALUES (3)");
    // The files as a gateway killed here leaves them: the file, its -wal holding row 3, its -shm.
    const folder = tmp.file("shm-copy");
    mkdirSync(folder);
    for (const suffix of ["", "-wal"]) copyFileSync(`${path}${suffix}`, `${folder}/gw.db${suffix}`);
    const copy = `${folder}/gw.db`;
    // A -shm SQLite will not open, as one of another user's mode 0600 (a symlink: it follows none).
    symlinkSync(`${path}-shm`, `${copy}-shm`);
    const thaw = readOnlyPath(folder);
    try {
      expect(() => openDatabase(copy, { readonly: true })).toThrow(
        `storage.path ${copy}: cannot open ${copy}-shm: ${copy}-wal may hold writes not yet in the file`,
      );
    } finally {
      thaw();
      closeDatabase(writer);
    }
  });
});
