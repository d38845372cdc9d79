import { afterAll, describe, expect, test } from "bun:test";
import { readBack, numberedKey as record } from "../../testing/key-record.ts";
import { keyRecordColumns } from "../key-record.ts";
import { keyMigrations } from "./key-migrations.ts";
import { migrate } from "./migrate.ts";
import { closeDatabase, openDatabase } from "./open-database.ts";
import { openSqliteStorage } from "./sqlite-storage.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

describe("SqliteKeyStore", () => {
  test("create, get by hash and id, list newest first, count", async () => {
    const storage = openSqliteStorage(tmp.file("a.db"));
    const a = record();
    const b = record({ tenant: "acme", role: "admin", models: ["*"] });
    await storage.keys.create(a);
    await storage.keys.create(b);
    expect(await storage.keys.getByHash(a.hash)).toEqual(readBack(a));
    expect(await storage.keys.getById(b.id)).toEqual(readBack(b));
    expect(await storage.keys.getByHash("f".repeat(64))).toBeNull();
    expect((await storage.keys.list()).map((k) => k.id)).toEqual([b.id, a.id]);
    expect((await storage.keys.list({ tenant: "acme" })).map((k) => k.id)).toEqual([b.id]);
    expect(await storage.keys.count()).toBe(2);
    await expect(storage.keys.create({ ...a, id: "other" })).rejects.toThrow();
    await storage.close();
  });

  test("revoke is set once; expiry can be set; both advance the change cursor", async () => {
    const storage = openSqliteStorage(tmp.file("b.db"));
    const a = record();
    await storage.keys.create(a);
    const start = await storage.keys.cursor();
    expect((await storage.keys.revoke(a.id, 5000))?.revokedAt).toBe(5000);
    expect((await storage.keys.revoke(a.id, 9000))?.revokedAt).toBe(5000);
    expect(await storage.keys.revoke("missing", 1)).toBeNull();
    expect((await storage.keys.setExpiresAt(a.id, 7000))?.expiresAt).toBe(7000);
    const changes = await storage.keys.changedSince(start);
    expect(changes.records.map((r) => r.id)).toEqual([a.id]);
    expect(changes.cursor).toBeGreaterThan(start);
    expect((await storage.keys.changedSince(changes.cursor)).records).toEqual([]);
    await storage.close();
  });

  test("touch batches last_used_at, keeps the latest, and is not a change", async () => {
    const storage = openSqliteStorage(tmp.file("c.db"));
    const a = record();
    const b = record();
    await storage.keys.create(a);
    await storage.keys.create(b);
    const cursor = await storage.keys.cursor();
    await storage.keys.touch(
      new Map([
        [a.id, 500],
        [b.id, 600],
      ]),
    );
    await storage.keys.touch(new Map([[a.id, 400]]));
    expect((await storage.keys.getById(a.id))?.lastUsedAt).toBe(500);
    expect((await storage.keys.getById(b.id))?.lastUsedAt).toBe(600);
    expect((await storage.keys.changedSince(cursor)).records).toEqual([]);
    await storage.close();
  });

  test("findByName returns every key of that name, newest first", async () => {
    const storage = openSqliteStorage(tmp.file("d.db"));
    const old = record({ name: "alice", createdAt: 1 });
    const fresh = record({ name: "alice", createdAt: 2 });
    await storage.keys.create(old);
    await storage.keys.create(fresh);
    expect((await storage.keys.findByName("alice")).map((k) => k.id)).toEqual([fresh.id, old.id]);
    expect(await storage.keys.findByName("bob")).toEqual([]);
    await storage.close();
  });

  test("two handles on one file see each other's writes and changes", async () => {
    const path = tmp.file("shared.db");
    const serve = openSqliteStorage(path);
    const cli = openSqliteStorage(path);
    const cursor = await serve.keys.cursor();
    const a = record();
    await cli.keys.create(a);
    expect(await serve.keys.getByHash(a.hash)).toEqual(readBack(a));
    await cli.keys.revoke(a.id, 42);
    const seen = await serve.keys.changedSince(cursor);
    expect(seen.records.map((r) => [r.id, r.revokedAt])).toEqual([[a.id, 42]]);
    await cli.close();
    expect((await serve.keys.getById(a.id))?.revokedAt).toBe(42);
    await serve.close();
  });

  test("changedSince pages through many changes", async () => {
    const storage = openSqliteStorage(tmp.file("e.db"));
    for (let i = 0; i < 1200; i++) await storage.keys.create(record());
    let cursor = 0;
    let total = 0;
    for (let page = 0; page < 10; page++) {
      const next = await storage.keys.changedSince(cursor);
      if (next.records.length === 0) break;
      total += next.records.length;
      cursor = next.cursor;
    }
    expect(total).toBe(1200);
    await storage.close();
  });
});

test("keys@4: an expiry an older release stored past every date is the last date there is, one within dates kept", async () => {
  const path = tmp.file("far.db");
  const db = openDatabase(path);
  migrate(db, "keys", keyMigrations.slice(0, 3));
  const far = record({ expiresAt: Date.now() + 99_999_999 * 86_400_000 });
  const near = record({ expiresAt: Date.parse("2100-01-01T00:00:00Z") });
  // As the older release wrote them.
  const insert = db.query(
    `INSERT INTO api_keys (id, hash, prefix, last4, name, tenant, role, models, expires_at, created_at, seq)
     VALUES ($id, $hash, $prefix, $last4, $name, $tenant, $role, $models, $expires_at, $created_at, 1)`,
  );
  for (const key of [far, near]) {
    const {
      rpm: _r,
      tpm: _t,
      budget_usd: _b,
      revoked_at: _v,
      last_used_at: _l,
      chain: _c,
      ...row
    } = keyRecordColumns(key);
    insert.run(row);
  }
  closeDatabase(db);
  const storage = openSqliteStorage(path);
  expect((await storage.keys.getById(far.id))?.expiresAt).toBe(8.64e15);
  expect((await storage.keys.getById(near.id))?.expiresAt).toBe(near.expiresAt);
  await storage.close();
});

describe("SqliteSpendStore", () => {
  test("adds deltas, sums per principal, visible to another handle", async () => {
    const path = tmp.file("spend.db");
    const one = openSqliteStorage(path);
    const two = openSqliteStorage(path);
    await one.spend.add(new Map([["key_a", 0.25]]));
    await two.spend.add(
      new Map([
        ["key_a", 0.5],
        ["jwt:acme:bob", 1],
      ]),
    );
    expect(await one.spend.total("key_a")).toBeCloseTo(0.75, 10);
    expect(await one.spend.total("nobody")).toBe(0);
    expect((await two.spend.changedSince(0)).totals).toEqual(
      new Map([
        ["key_a", 0.75],
        ["jwt:acme:bob", 1],
      ]),
    );
    await one.close();
    await two.close();
  });
});
