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

test("pairs an older release writes after the key_id column was added, before and after this release's start, are found by their caller's id", async () => {
  const path = tmp.file("shadow-v2.db");
  const db = new Database(path);
  migrate(db, "shadow", shadowMigrations.slice(0, 2));
  // The older release's insert names no key_id: written after its migration 2 (a rollback, or a
  // newer CLI having migrated the file under it).
  db.run(...versionOnePairInsert(shadowPair(1)));
  db.close();

  const storage = openSqliteStorage(path);
  try {
    // Still writing while this release serves (one file, two servers in turn), and a record
    // json_extract cannot read, which is kept all the same.
    const older = new Database(path);
    older.run(...versionOnePairInsert(shadowPair(2)));
    const [sql, params] = versionOnePairInsert(shadowPair(5));
    older.run(sql, params.with(-1, "{not json"));
    older.close();
    const ids = async (keyId: string) => (await storage.shadow?.list({ keyId }, null, 10))?.map((p) => p.id);
    expect(await ids("key_ci")).toEqual(["pair_1"]);
    expect(await ids("jwt:acme:ci")).toEqual(["pair_2"]);
  } finally {
    await storage.close();
  }
  const after = new Database(path);
  expect(after.query("SELECT id, key_id FROM shadow_pairs ORDER BY seq").all()).toEqual([
    { id: "pair_1", key_id: "key_ci" },
    { id: "pair_2", key_id: "jwt:acme:ci" },
    { id: "pair_5", key_id: null },
  ]);
  after.close();
});

test("a pair without a caller is stored with '' for its caller's id, which the older release's trigger passes by; one an older release inserts gets it from the trigger, as on PostgreSQL", async () => {
  const path = tmp.file("shadow-none.db");
  const db = new Database(path);
  migrate(db, "shadow", shadowMigrations.slice(0, 3));
  // Kept without a caller before this release: NULL, as the trigger of migration 3 left it.
  db.run(...versionOnePairInsert(shadowPair(1, { keyId: null })));
  db.close();

  const storage = openSqliteStorage(path);
  const side = new Database(path);
  try {
    // Every pair the trigger reads the record of, counted: the result alone is '' either way.
    side.run(`CREATE TABLE key_id_reads (id TEXT)`);
    side.run(`DROP TRIGGER shadow_pairs_key_id`);
    side.run(`CREATE TRIGGER shadow_pairs_key_id AFTER INSERT ON shadow_pairs
        FOR EACH ROW WHEN NEW.key_id IS NULL AND json_valid(NEW.record)
      BEGIN
        INSERT INTO key_id_reads VALUES (NEW.id);
        UPDATE shadow_pairs SET key_id = coalesce(json_extract(NEW.record, '$.keyId'), '') WHERE seq = NEW.seq;
      END`);
    await storage.shadow?.insert([shadowPair(2, { keyId: null })]);
    side.run(...versionOnePairInsert(shadowPair(3, { keyId: null })));
  } finally {
    await storage.close();
  }
  expect(side.query("SELECT id FROM key_id_reads").all()).toEqual([{ id: "pair_3" }]);
  expect(side.query("SELECT id, key_id FROM shadow_pairs ORDER BY seq").all()).toEqual([
    { id: "pair_1", key_id: "" },
    { id: "pair_2", key_id: "" },
    { id: "pair_3", key_id: "" },
  ]);
  side.close();
});
