import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { shadowPair, versionOnePairInsert } from "../../testing/shadow-pair.ts";
import { migrate } from "./migrate.ts";
import { shadowMigrations } from "./shadow-migrations.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

test("pairs kept before the key_id column are found by their caller's id after its migration, filled from their record", async () => {
  const path = tmp.file("shadow-v1.db");
  const db = new Database(path);
  migrate(db, "shadow", shadowMigrations.slice(0, 1));
  // The third as kept before pairs had their caller's id: none.
  for (const pair of [shadowPair(1), shadowPair(2), shadowPair(3, { keyId: null })])
    db.run(...versionOnePairInsert(pair));
  db.close();

  const storage = openSqliteStorage(path);
  try {
    const ids = async (keyId: string) => (await storage.shadow?.list({ keyId }, null, 10))?.map((p) => p.id);
    expect(await ids("key_ci")).toEqual(["pair_1"]);
    expect(await ids("jwt:acme:ci")).toEqual(["pair_2"]);
    expect((await storage.shadow?.list({}, null, 10))?.map((p) => [p.id, p.keyId])).toEqual([
      ["pair_3", null],
      ["pair_2", "jwt:acme:ci"],
      ["pair_1", "key_ci"],
    ]);
  } finally {
    await storage.close();
  }
});
