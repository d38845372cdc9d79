import { Database } from "bun:sqlite";
import { afterAll, expect, test } from "bun:test";
import { keyRecord } from "../../testing/key-record.ts";
import { OLDER_ROTATION_REFUSED } from "../older-rotation-refused.ts";
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
    // Followed as it is written: the chain's write took a change number of its own, not the one
    // of a later write by this release.
    const followed = await storage.spend.changedSince(cursor);
    expect(Object.fromEntries(followed.totals)).toEqual({
      key_a1: 1 + 0.25 + 0.5 + 0.125,
      key_a3: 0.75,
      key_c1: 0.0625,
    });
    await storage.spend.add(new Map([["key_a1", 2]]));
    const { totals } = await storage.spend.changedSince(followed.cursor);
    expect(Object.fromEntries(totals)).toEqual({ key_a1: 1 + 0.25 + 0.5 + 0.125 + 2 });
  } finally {
    await storage.close();
  }
});

test("keys@5: a rotation by an older release, which copies the old key's total to its new key, is refused by the database before the copy, so the chain is never charged it; this release's rotated keys are stored", async () => {
  const path = tmp.file("older-rotation.db");
  const storage = openSqliteStorage(path);
  const older = new Database(path);
  try {
    await storage.keys.create(keyRecord({ id: "key_a1", hash: "a".repeat(64) }));
    await storage.keys.create(keyRecord({ id: "key_a2", hash: "b".repeat(64), chain: "key_a1" }));
    await storage.spend.add(new Map([["key_a1", 60]]));
    // An older release's rotation of key_a2: its new key inserted with the columns that release
    // knows, then the old key's total copied to it (its carry-spend.ts: store.add(to, store.total(from))).
    const rotateAsOlder = () => {
      older
        .query(
          `INSERT INTO api_keys (id, hash, prefix, last4, name, tenant, role, models, created_at, chain, seq)
           VALUES ('key_a3', '${"c".repeat(64)}', 'mgw_', 'cccc', 'k', 'default', 'user', '["*"]', 0, 'key_a1',
             (SELECT MAX(seq) + 1 FROM api_keys))`,
        )
        .run();
      const spent = older
        .query<{ s: number }, []>("SELECT spend_usd AS s FROM key_spend WHERE principal = 'key_a1'")
        .get();
      older
        .query("INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES ('key_a3', ?, 0)")
        .run(spent?.s ?? 0);
    };
    expect(rotateAsOlder).toThrow(OLDER_ROTATION_REFUSED);
    expect(await storage.keys.getById("key_a3")).toBeNull();
    expect(Object.fromEntries((await storage.spend.changedSince(0)).totals)).toEqual({ key_a1: 60 });
    expect((await storage.keys.getById("key_a2"))?.chain).toBe("key_a1");
  } finally {
    older.close();
    await storage.close();
  }
});
