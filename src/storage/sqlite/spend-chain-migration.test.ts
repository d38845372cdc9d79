import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { ROTATED_CHAINS } from "../rotated-chains-fixture.ts";
import { spendMigrations } from "./key-migrations.ts";
import { migrate } from "./migrate.ts";
import { closeDatabase, openDatabase } from "./open-database.ts";
import { createSqliteKeyStore } from "./sqlite-key-store.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

test("spend@4: an older release's rotation chains count one total under their first key's id, the largest of their keys' (no key's budget starts over)", async () => {
  const path = tmp.file("chains.db");
  const db = openDatabase(path);
  const keys = createSqliteKeyStore(db);
  for (const key of ROTATED_CHAINS.keys) await keys.create(key);
  migrate(db, "spend", spendMigrations.slice(0, 3));
  const insert = db.query("INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES (?, ?, 0)");
  for (const [principal, usd] of ROTATED_CHAINS.spend) insert.run(principal, usd);
  // How far a node running before the upgrade has read.
  const cursor = db.query<{ n: number }, []>("SELECT n FROM key_spend_changes").get()?.n ?? 0;
  closeDatabase(db);
  const storage = openSqliteStorage(path);
  try {
    const { totals } = await storage.spend.changedSince(0);
    for (const [principal, usd] of Object.entries(ROTATED_CHAINS.after))
      expect({ principal, usd: totals.get(principal) }).toEqual({ principal, usd });
    // Written as any spend is: a node that read up to the upgrade follows the chains' new totals.
    const followed = await storage.spend.changedSince(cursor);
    expect([...followed.totals.keys()].sort()).toEqual(["key_a1", "key_d1"]);
  } finally {
    await storage.close();
  }
});

test("spend@5: what an older release counts under a rotated key's own id after the upgrade (a node mid-roll, after a rollback) is added to its chain once, whenever it comes; the key's own total grows for that release as before", async () => {
  const path = tmp.file("roll.db");
  const storage = openSqliteStorage(path);
  try {
    for (const key of ROTATED_CHAINS.keys) await storage.keys.create(key);
    await storage.spend.add(new Map([["key_a1", 1]]));
    const { cursor } = await storage.spend.changedSince(0);
    // An older release's spend store on the same file: each key's spend under its own id.
    const older = new Database(path);
    const olderAdd = older.query(
      `INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES (?1, ?2, 0)
       ON CONFLICT (principal) DO UPDATE SET spend_usd = spend_usd + ?2`,
    );
    olderAdd.run("key_a3", 0.25); // a rotated key's first spend there
    olderAdd.run("key_a3", 0.5); // and its next
    olderAdd.run("key_a1", 0.125); // a first key's own id is its chain's
    olderAdd.run("key_c1", 0.0625); // a key no rotation issued
    older.close();
    await storage.spend.add(new Map([["key_a1", 2]]));
    const { totals } = await storage.spend.changedSince(cursor);
    expect(Object.fromEntries(totals)).toEqual({
      key_a1: 1 + 0.25 + 0.5 + 0.125 + 2,
      key_a3: 0.75,
      key_c1: 0.0625,
    });
  } finally {
    await storage.close();
  }
});
