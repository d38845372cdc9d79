import { afterAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { childEnv } from "../../testing/off-cloud-env.ts";
import { migrate, schemaVersion } from "./migrate.ts";
import { closeDatabase, openDatabase } from "./open-database.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

const v1 = { version: 1, sql: "CREATE TABLE a (x INTEGER); CREATE TABLE b (y INTEGER);" };
const v2 = { version: 2, sql: "ALTER TABLE a ADD COLUMN z TEXT" };

describe("migrate", () => {
  test("applies pending steps once and is idempotent across reopen", () => {
    const path = tmp.file("m1.db");
    const db = openDatabase(path);
    expect(migrate(db, "demo", [v1])).toEqual([1]);
    expect(migrate(db, "demo", [v1])).toEqual([]);
    closeDatabase(db);
    const again = openDatabase(path);
    expect(migrate(again, "demo", [v1, v2])).toEqual([2]);
    expect(schemaVersion(again, "demo")).toBe(2);
    const cols = again.query<{ name: string }, []>("PRAGMA table_info(a)").all();
    expect(cols.map((c) => c.name)).toEqual(["x", "z"]);
    closeDatabase(again);
  });

  test("components are versioned independently", () => {
    const db = openDatabase(":memory:");
    migrate(db, "one", [{ version: 1, sql: "CREATE TABLE one_t (x INTEGER)" }]);
    expect(migrate(db, "two", [{ version: 1, sql: "CREATE TABLE two_t (x INTEGER)" }])).toEqual([1]);
    expect(schemaVersion(db, "one")).toBe(1);
    expect(schemaVersion(db, "three")).toBe(0);
    closeDatabase(db);
  });

  test("a failing step rolls back entirely and is not recorded", () => {
    const db = openDatabase(":memory:");
    const bad = { version: 1, sql: "CREATE TABLE ok_t (x INTEGER); CREATE TABLE ok_t (x INTEGER);" };
    expect(() => migrate(db, "bad", [bad])).toThrow("migration bad@1 failed");
    expect(schemaVersion(db, "bad")).toBe(0);
    expect(db.query("SELECT name FROM sqlite_master WHERE name = 'ok_t'").get()).toBeNull();
    closeDatabase(db);
  });

  test("rejects unordered or duplicate versions", () => {
    const db = openDatabase(":memory:");
    expect(() => migrate(db, "x", [v2, v1])).toThrow("strictly increasing");
    expect(() => migrate(db, "x", [v1, v1])).toThrow("strictly increasing");
    closeDatabase(db);
  });

  test("two processes migrating the same file apply each step exactly once", async () => {
    const path = tmp.file("race.db");
    const script = join(import.meta.dir, "fixtures", "migrate-worker.ts");
    const spawn = () =>
      Bun.spawn([process.execPath, script, path], { env: childEnv(), stdout: "pipe", stderr: "pipe" });
    const children = [spawn(), spawn()];
    const timer = setTimeout(() => {
      for (const child of children) child.kill();
    }, 20_000);
    const outputs = await Promise.all(children.map((c) => new Response(c.stdout).text()));
    const codes = await Promise.all(children.map((c) => c.exited));
    clearTimeout(timer);
    expect(codes).toEqual([0, 0]);
    const applied = outputs.flatMap((out) => JSON.parse(out) as number[]).sort();
    expect(applied).toEqual([1, 2, 3]);
    const db = openDatabase(path);
    expect(db.query("SELECT count(*) AS n FROM race_3").get()).toEqual({ n: 20000 });
    expect(schemaVersion(db, "race")).toBe(3);
    closeDatabase(db);
  });
});
