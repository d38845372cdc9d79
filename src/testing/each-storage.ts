import { afterAll, describe } from "bun:test";
import { postgresFixture } from "../storage/postgres/postgres-storage-fixture.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { tempDir } from "../storage/sqlite/test-helpers.ts";
import type { Storage } from "../storage/storage.ts";

/**
 * Declares `tests` twice, in a describe "SQLite" and a describe "PostgreSQL": `open` gives a fresh
 * store of that kind each call (a file in a temp dir, closed and removed after the file's tests; a
 * database of a PostgreSQL server the fixture starts, closed after each test).
 */
export function onEachStorage(tests: (open: () => Promise<Storage>) => void): void {
  describe("SQLite", () => {
    const tmp = tempDir();
    const opened: Storage[] = [];
    let n = 0;
    afterAll(async () => {
      for (const storage of opened) await storage.close();
      tmp.cleanup();
    });
    tests(async () => {
      const storage = openSqliteStorage(tmp.file(`store-${n++}.db`));
      opened.push(storage);
      return storage;
    });
  });

  describe("PostgreSQL", () => {
    const pg = postgresFixture();
    tests(async () => (await pg.opened()).storage);
  });
}
