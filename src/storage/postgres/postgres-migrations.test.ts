import { expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import { keyRecord } from "../../testing/key-record.ts";
import { OLDER_ROTATION_REFUSED } from "../older-rotation-refused.ts";
import { pendingMigrations } from "../pending-migrations.ts";
import { ROTATED_CHAINS } from "../rotated-chains-fixture.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import {
  auditMigrations,
  keyMigrations,
  responseMigrations,
  shadowMigrations,
  spendMigrations,
} from "./postgres-migrations.ts";
import { postgresFixture } from "./postgres-storage-fixture.ts";

// The PostgreSQL store's migrations against a real server: applied once across nodes, the cluster's
// id, a failing step, an older schema told apart, and what older releases left (spend, keys).

const pg = postgresFixture();

test("several nodes starting at once apply each migration exactly once", async () => {
  const url = await pg.database();
  await Promise.all(Array.from({ length: 5 }, () => pg.storage(url)));
  const sql = pg.client(url);
  const rows: { component: string; n: string }[] =
    await sql`SELECT component, count(*) AS n FROM schema_migrations GROUP BY component ORDER BY component`;
  // Every component's steps recorded once each, whoever applied them.
  const counts = new Map(rows.map((r) => [r.component, Number(r.n)]));
  expect(counts.get("keys")).toBe(keyMigrations.length);
  expect(counts.get("responses")).toBe(responseMigrations.length);
  expect(counts.get("spend")).toBe(spendMigrations.length);
  expect(counts.get("audit")).toBe(auditMigrations.length);
});

test("the cluster's id is made once in its database: nodes asking at once read one id, another database another, a random UUID (nothing derived from any input)", async () => {
  const url = await pg.database();
  const nodes = await Promise.all(Array.from({ length: 3 }, () => pg.storage(url)));
  const ids = new Set(await Promise.all(nodes.map((storage) => storage.clusterId?.())));
  expect(ids.size).toBe(1);
  const [id] = [...ids];
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  expect(await (await pg.storage(url)).clusterId?.()).toBe(id!);
  expect(await (await pg.storage(await pg.database())).clusterId?.()).not.toBe(id!);
});

test("opening the storage writes no cluster id (a command, a node without cluster:): only asking makes it, and once made, asking only reads it", async () => {
  const url = await pg.database();
  const storage = await pg.storage(url);
  const sql = pg.client(url);
  expect(await sql`SELECT cluster_id FROM cluster_meta`).toEqual([]);
  const id = await storage.clusterId?.();
  expect(await sql`SELECT cluster_id FROM cluster_meta`).toEqual([{ cluster_id: id }]);
  // From now on an insert fails (as for a role granted only SELECT on the table): asking still answers.
  await sql.unsafe(`CREATE FUNCTION refuse_insert() RETURNS trigger AS $$
    BEGIN RAISE EXCEPTION 'permission denied for table cluster_meta'; END $$ LANGUAGE plpgsql`);
  await sql.unsafe(
    "CREATE TRIGGER refused BEFORE INSERT ON cluster_meta FOR EACH ROW EXECUTE FUNCTION refuse_insert()",
  );
  expect(await (await pg.storage(url)).clusterId?.()).toBe(id!);
});

test("a failing migration says which component and step failed and what PostgreSQL said beside its message; nothing of it is kept", async () => {
  const sql = pg.client(await pg.database());
  const steps = [
    { version: 1, sql: "CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (1);" },
    { version: 2, sql: "CREATE UNIQUE INDEX t_x ON t (x);" },
  ];
  const failure = await migratePostgres(sql, "probe", steps).then(
    () => null,
    (error: unknown) => error,
  );
  expect(failure).toBeInstanceOf(Error);
  expect((failure as Error).message).toStartWith("migration probe@2 failed: could not create unique index");
  expect((failure as Error).message).toContain("(detail: Key (x)=(1) is duplicated.)");
  // One transaction: step 1 is undone with it, and no ledger row is left.
  expect(
    await sql`SELECT to_regclass('t')::text AS t, to_regclass('schema_migrations')::text AS ledger`,
  ).toEqual([{ t: null, ledger: null }]);
});

test("a database at an older schema is told from a new one without migrating it (what a command refuses without --migrate)", async () => {
  const url = await pg.database();
  const storage = { ...parseConfig({}, {}).storage, driver: "postgres" as const, url };
  expect(await pendingMigrations(storage)).toEqual([]);
  await (await pg.storage(url)).close();
  expect(await pendingMigrations(storage)).toEqual([]);
  const sql = pg.client(url);
  await sql`DELETE FROM schema_migrations WHERE component = 'shadow' AND version = ${shadowMigrations.length}`;
  expect(await pendingMigrations(storage)).toEqual([
    { component: "shadow", at: shadowMigrations.length - 1, latest: shadowMigrations.length },
  ]);
  expect(await sql`SELECT count(*)::int AS n FROM schema_migrations WHERE component = 'shadow'`).toEqual([
    { n: shadowMigrations.length - 1 },
  ]);
});

test("spend@5: an older release's rotation chains count one total under their first key's id, the largest of their keys' (no key's budget starts over)", async () => {
  const url = await pg.database();
  const sql = pg.client(url);
  // The keys as the release before stored them: before keys@6, which refuses its rotations.
  await migratePostgres(sql, "keys", keyMigrations.slice(0, 5));
  await migratePostgres(sql, "spend", spendMigrations.slice(0, 4));
  for (const key of ROTATED_CHAINS.keys)
    await sql`INSERT INTO api_keys (id, hash, prefix, last4, name, tenant, role, models, created_at, seq, chain)
      VALUES (${key.id}, ${key.hash}, ${key.prefix}, ${key.last4}, ${key.name}, ${key.tenant}, ${key.role},
        ${JSON.stringify(key.models)}, ${key.createdAt}, 1, ${key.chain ?? null})`;
  for (const [principal, usd] of ROTATED_CHAINS.spend)
    await sql`INSERT INTO key_spend (principal, spend_usd, updated_at) VALUES (${principal}, ${usd}, 0)`;
  // How far a node running before the upgrade has read.
  const [read] = await sql`SELECT MAX(seq) AS n FROM key_spend`;
  const cursor = Number(read.n);
  const storage = await pg.storage(url);
  const { totals } = await storage.spend.changedSince(0);
  for (const [principal, usd] of Object.entries(ROTATED_CHAINS.after))
    expect({ principal, usd: totals.get(principal) }).toEqual({ principal, usd });
  const followed = await storage.spend.changedSince(cursor);
  expect([...followed.totals.keys()].sort()).toEqual(["key_a1", "key_d1"]);
});

test("keys@5: an expiry an older release stored past every date is the last date there is, one within dates kept", async () => {
  const url = await pg.database();
  const sql = pg.client(url);
  await migratePostgres(sql, "keys", keyMigrations.slice(0, 4));
  const far = keyRecord({
    id: "key_far",
    hash: "f".repeat(64),
    expiresAt: Date.now() + 99_999_999 * 86_400_000,
  });
  const near = keyRecord({
    id: "key_near",
    hash: "e".repeat(64),
    expiresAt: Date.parse("2100-01-01T00:00:00Z"),
  });
  for (const key of [far, near])
    await sql`INSERT INTO api_keys (id, hash, prefix, last4, name, tenant, role, models, expires_at, created_at, seq)
      VALUES (${key.id}, ${key.hash}, ${key.prefix}, ${key.last4}, ${key.name}, ${key.tenant}, ${key.role},
        ${JSON.stringify(key.models)}, ${key.expiresAt}, ${key.createdAt}, 1)`;
  const storage = await pg.storage(url);
  expect((await storage.keys.getById(far.id))?.expiresAt).toBe(8.64e15);
  expect((await storage.keys.getById(near.id))?.expiresAt).toBe(near.expiresAt);
});

test("spend@6: what an older node counts under a rotated key's own id after the upgrade (mid-roll, after a rollback) is added to its chain once; the key's own total grows for that node as before", async () => {
  const url = await pg.database();
  const storage = await pg.storage(url);
  for (const key of ROTATED_CHAINS.keys) await storage.keys.create(key);
  await storage.spend.add(new Map([["key_a1", 1]]));
  const { cursor } = await storage.spend.changedSince(0);
  // An older node's flush: its keys' spend under their own ids, in one statement.
  const olderFlush = (deltas: [string, number][]) =>
    pg.client(url)`INSERT INTO key_spend (principal, spend_usd, updated_at)
      SELECT principal, usd, 0 FROM unnest(
        ${deltas.map(([principal]) => principal)}::text[], ${deltas.map(([, usd]) => usd)}::float8[]
      ) AS d (principal, usd)
      ON CONFLICT (principal) DO UPDATE SET spend_usd = key_spend.spend_usd + excluded.spend_usd`;
  await olderFlush([
    ["key_a3", 0.25],
    ["key_a1", 0.125],
    ["key_c1", 0.0625],
  ]);
  await olderFlush([["key_a3", 0.5]]);
  // Followed as it is written: the chain's write took a change number of its own, not the one of a
  // later write by this release.
  const followed = await storage.spend.changedSince(cursor);
  expect(Object.fromEntries(followed.totals)).toEqual({
    key_a1: 1 + 0.25 + 0.125 + 0.5,
    key_a3: 0.75,
    key_c1: 0.0625,
  });
  await storage.spend.add(new Map([["key_a1", 2]]));
  const { totals } = await storage.spend.changedSince(followed.cursor);
  expect(Object.fromEntries(totals)).toEqual({ key_a1: 1 + 0.25 + 0.125 + 0.5 + 2 });
});

test("spend@7: a flush runs the chain trigger's function only for the rows it writes under an API key's id, not for a tenant's or a JWT subject's", async () => {
  const url = await pg.database();
  const storage = await pg.storage(url);
  for (const key of ROTATED_CHAINS.keys) await storage.keys.create(key);
  const sql = pg.client(url);
  // How many times each trigger ran for one flush of three rows (EXPLAIN ANALYZE says), undone after.
  let plan: { "QUERY PLAN": string }[] = [];
  const undo = new Error("rolled back: only the plan is read");
  await sql
    .begin(async (tx) => {
      plan = await tx.unsafe(
        `EXPLAIN (ANALYZE) INSERT INTO key_spend (principal, spend_usd, updated_at)
           VALUES ('tenant:acme:2026-12', 1, 0), ('jwt:acme:ada', 1, 0), ('key_a3', 1, 0)`,
      );
      throw undo;
    })
    .catch((error: unknown) => {
      if (error !== undo) throw error;
    });
  const calls = (trigger: RegExp) =>
    plan
      .map((row) => row["QUERY PLAN"].match(/^Trigger (\S+): .*calls=(\d+)/))
      .filter((match) => match !== null && trigger.test(match[1] ?? ""))
      .reduce((sum, match) => sum + Number(match?.[2]), 0);
  expect(calls(/^key_spend_number$/)).toBe(3);
  expect(calls(/^key_spend_to_chain/)).toBe(1);
});

test("keys@6: a rotation by an older node, which copies the old key's total to its new key, is refused by the database before the copy, so the chain is never charged it; this release's rotated keys are stored", async () => {
  const url = await pg.database();
  const storage = await pg.storage(url);
  const sql = pg.client(url);
  await storage.keys.create(keyRecord({ id: "key_a1", hash: "a".repeat(64) }));
  await storage.keys.create(keyRecord({ id: "key_a2", hash: "b".repeat(64), chain: "key_a1" }));
  await storage.spend.add(new Map([["key_a1", 60]]));
  // An older node's rotation of key_a2: its new key inserted with the columns that release knows,
  // then the old key's total copied to it (its carry-spend.ts: store.add(to, store.total(from))).
  const rotateAsOlder = async () => {
    const successor = keyRecord({ id: "key_a3", hash: "c".repeat(64), chain: "key_a1" });
    await sql`INSERT INTO api_keys (id, hash, prefix, last4, name, tenant, role, models, created_at, chain, seq)
      VALUES (${successor.id}, ${successor.hash}, ${successor.prefix}, ${successor.last4}, ${successor.name},
        ${successor.tenant}, ${successor.role}, ${JSON.stringify(successor.models)}, ${successor.createdAt},
        ${successor.chain ?? null}, (SELECT MAX(seq) + 1 FROM api_keys))`;
    await sql`INSERT INTO key_spend (principal, spend_usd, updated_at)
      SELECT 'key_a3', spend_usd, 0 FROM key_spend WHERE principal = 'key_a1'`;
  };
  await expect(rotateAsOlder()).rejects.toThrow(OLDER_ROTATION_REFUSED);
  expect(await storage.keys.getById("key_a3")).toBeNull();
  expect(Object.fromEntries((await storage.spend.changedSince(0)).totals)).toEqual({ key_a1: 60 });
  expect((await storage.keys.getById("key_a2"))?.chain).toBe("key_a1");
});
