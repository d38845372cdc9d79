import { expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { auditFilterSchema } from "../../audit/audit-query-schema.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { keyRecord } from "../../testing/key-record.ts";
import { shadowPair, versionOnePairInsert } from "../../testing/shadow-pair.ts";
import { openStorage } from "../open-storage.ts";
import { createPostgresAuditStore } from "./postgres-audit-store.ts";
import { postgresCalls } from "./postgres-calls.ts";
import { connectPostgres } from "./postgres-client.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { shadowMigrations } from "./postgres-migrations.ts";
import { nodeOptions, postgresFixture, recordedLog, unreadable } from "./postgres-storage-fixture.ts";

// The PostgreSQL store against a real server: pairs and keys written by this release and an older
// one, the item index's trigger, audit_log's indexes, the pool's config, a lost database and the
// audit writer's thread (migrations: postgres-migrations.test.ts; the item index's backfill:
// postgres-item-backfill.test.ts).

const pg = postgresFixture();

test("a pair without a caller is stored with '' for its caller's id, which the older release's trigger passes by; one an older release inserts gets it from the trigger", async () => {
  const { storage, sql } = await pg.opened();
  // Every call of the trigger's function, counted.
  await sql.unsafe(`CREATE TABLE key_id_reads (id TEXT);
    CREATE OR REPLACE FUNCTION shadow_pairs_key_id() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      INSERT INTO key_id_reads VALUES (NEW.id);
      NEW.key_id := coalesce(shadow_record_key_id(NEW.record), '');
      RETURN NEW;
    END $$;`);
  await storage.shadow?.insert([shadowPair(1, { keyId: null }), shadowPair(2)]);
  await sql.unsafe(...versionOnePairInsert(shadowPair(3, { keyId: null })));
  await sql.unsafe(...versionOnePairInsert(shadowPair(4)));
  expect(await sql`SELECT id FROM key_id_reads ORDER BY id`).toEqual([{ id: "pair_3" }, { id: "pair_4" }]);
  expect(await sql`SELECT id, key_id FROM shadow_pairs ORDER BY seq`).toEqual([
    { id: "pair_1", key_id: "" },
    { id: "pair_2", key_id: "jwt:acme:ci" },
    { id: "pair_3", key_id: "" },
    { id: "pair_4", key_id: "key_ci" },
  ]);
});

test("a key whose model globs hold text PostgreSQL's JSON reader refuses (a lone surrogate, NUL) has its limits changed", async () => {
  const storage = await pg.storage(await pg.database());
  for (const [n, glob] of Object.values(unreadable).entries()) {
    const key = keyRecord({ id: `key_${n}`, hash: `${n}`.padStart(64, "0"), models: [`gpt-${glob}`] });
    await storage.keys.create(key);
    const limits = { models: key.models, rpm: 5, tpm: null, budgetUsd: null, expiresAt: null };
    expect(await storage.keys.setLimits?.(key.id, limits, key)).toMatchObject(limits);
  }
});

test("shadow pairs kept before the key_id column are given their caller's id from their record after its migration, in batches, an answer cut inside an emoji or holding NUL included; a pair an older release inserts after it too", async () => {
  const url = await pg.database();
  const sql = pg.client(url);
  /** A pair whose primary answer is `answer`: text PostgreSQL's JSON reader refuses, in its record. */
  const answered = (id: string, keyId: string, answer: string) =>
    shadowPair(1, { id, keyId, primary: { ...shadowPair(1).primary, answer } });
  const keyIds = async () =>
    (await sql`SELECT count(key_id)::int AS n FROM shadow_pairs`)[0] as { n: number } | undefined;
  await migratePostgres(sql, "shadow", shadowMigrations.slice(0, 1));
  // The third as kept before pairs had their caller's id: none. The bulk: more than a batch.
  const kept = [
    shadowPair(1),
    shadowPair(2),
    shadowPair(3, { keyId: null }),
    answered("pair_emoji", "key_emoji", "😀".slice(0, 1)),
    answered("pair_nul", "key_nul", "a\u0000b"),
    ...Array.from({ length: 1_100 }, (_, n) => shadowPair(1, { id: `pair_bulk_${n}`, keyId: "key_bulk" })),
  ];
  for (const pair of kept) await sql.unsafe(...versionOnePairInsert(pair));
  // The migration itself reads no record: it holds its lock for its DDL alone.
  await migratePostgres(sql, "shadow", shadowMigrations);
  expect(await keyIds()).toEqual({ n: 0 });
  const storage = await pg.storage(url);
  const older = pg.client(url);
  const ids = async (keyId: string) => (await storage.shadow?.list({ keyId }, null, 2_000))?.map((p) => p.id);
  const found = async () => {
    expect(await ids("key_ci")).toEqual(["pair_1"]);
    expect(await ids("jwt:acme:ci")).toEqual(["pair_2"]);
    expect(await ids("key_emoji")).toEqual(["pair_emoji"]);
    expect(await ids("key_nul")).toEqual(["pair_nul"]);
    expect(await ids("key_bulk")).toHaveLength(1_100);
  };
  // Found by their caller before the backfill (their records read) as after it (their column).
  await found();
  const { lines, log } = recordedLog();
  await storage.backfill?.(log);
  // The item index of a database that had no responses is filled at once, in silence.
  expect(lines.map((line) => [line.message, line.fields.rows])).toEqual([
    ["backfill of shadow pairs' caller ids started", 1_105],
    ["backfill of shadow pairs' caller ids done", 1_105],
  ]);
  await found();
  // None is left unread: the pair without a caller has '' for none.
  expect(
    await older`SELECT count(*) FILTER (WHERE key_id IS NULL)::int AS unread, count(*) FILTER (WHERE key_id = '')::int AS none FROM shadow_pairs`,
  ).toEqual([{ unread: 0, none: 1 }]);
  expect((await storage.shadow?.list({}, null, 1_200))?.slice(-5).map((p) => [p.id, p.keyId])).toEqual([
    ["pair_nul", "key_nul"],
    ["pair_emoji", "key_emoji"],
    ["pair_3", null],
    ["pair_2", "jwt:acme:ci"],
    ["pair_1", "key_ci"],
  ]);
  // A node still on the release before the column writes none: the pair is found by its caller.
  await older.unsafe(...versionOnePairInsert(answered("pair_older", "key_older", "x\u0000y")));
  expect(await ids("key_older")).toEqual(["pair_older"]);
}, 60_000);

test("the item index's trigger fires on a row inserted and on its response updated, not on its other columns", async () => {
  const { storage, sql } = await pg.opened();
  // Backfilled (nothing to fill): the store reads the index alone.
  await storage.backfill?.(recordedLog().log);
  const said = { id: "msg_up1", type: "message", content: [] };
  const record = {
    tenant: "acme",
    id: "resp_1",
    response: { id: "resp_1", output: [said] },
    items: [],
    createdAt: 1,
  };
  await storage.responses.save(record);
  expect(await storage.responses.responseOfItem?.("acme", "msg_up1")).toBe("resp_1");
  await sql`DELETE FROM stored_response_items`;
  await sql`UPDATE stored_responses SET created_at = 2, holder = 'openai' WHERE id = 'resp_1'`;
  expect(await storage.responses.responseOfItem?.("acme", "msg_up1")).toBeNull();
  await sql`UPDATE stored_responses SET response = ${JSON.stringify(record.response)} WHERE id = 'resp_1'`;
  expect(await storage.responses.responseOfItem?.("acme", "msg_up1")).toBe("resp_1");
});

test("audit_log keeps only the indexes its queries read: time, and key, model, status and tenant with time", async () => {
  const { sql } = await pg.opened();
  const rows: { indexdef: string }[] =
    await sql`SELECT indexdef FROM pg_indexes WHERE tablename = 'audit_log' ORDER BY indexname`;
  expect(rows.map((r) => r.indexdef.replace(/^.* USING btree /, ""))).toEqual([
    "(key_id, started_at, id)",
    "(key_name, started_at, id)",
    "(model, started_at, id)",
    "(id)",
    "(status, started_at, id)",
    "(tenant, started_at, id) WHERE (tenant IS NOT NULL)",
    "(started_at, id)",
  ]);
});

test("the one ok attempt on the row's own route, which crosses to the thread as its duration, is stored and read back as the list", async () => {
  const { storage, sql } = await pg.opened();
  const attempt = {
    route: "provider:openai",
    upstreamModel: "gpt-4o-mini-2024-07-18",
    outcome: "ok" as const,
    status: null,
    errorClass: null,
    durationMs: 0.6100000000000001,
  };
  const record = makeRecord({ requestId: "req_sole", attempts: [attempt] });
  expect(await storage.audit.insert([record])).toEqual({ written: 1, rejected: 0 });
  const [read] = await storage.audit.select(auditFilterSchema.parse({}), null, 10);
  expect(read?.record).toEqual(record);
  const rows: { attempts: string }[] = await sql`SELECT attempts FROM audit_log`;
  expect(rows.map((r) => JSON.parse(r.attempts))).toEqual([[attempt]]);
});

test("config: pool size, statement_timeout and application name reach the server; sslmode in the URL wins", async () => {
  const url = await pg.database();
  const storage = pg.closeAfter(
    await openStorage({
      driver: "postgres",
      path: "unused",
      url: `${url}?sslmode=disable`,
      pool: 2,
      statement_timeout: 1234,
      connect_timeout: 1000,
      sslmode: "require", // the server has no TLS: only the URL's `disable` lets this connect
      responses_retention: 1000,
    }),
  );
  const pool = pg.closeAfter(connectPostgres({ ...nodeOptions(url), statementTimeoutMs: 1234 }));
  const sql = pg.client(url);
  await Promise.all(Array.from({ length: 6 }, () => storage.keys.count()));
  // This database's sessions only: pools of earlier tests' databases may still be closing.
  const sessions: { n: string }[] = await sql`SELECT count(*) AS n FROM pg_stat_activity
    WHERE application_name = 'mindgw' AND datname = current_database()`;
  expect(Number(sessions[0]!.n)).toBeGreaterThanOrEqual(1);
  expect(Number(sessions[0]!.n)).toBeLessThanOrEqual(2);
  const [shown] = await pool`SHOW statement_timeout`;
  expect(shown).toEqual({ statement_timeout: "1234ms" });
  await expect(pool`SELECT pg_sleep(3)`).rejects.toMatchObject({ errno: "57014" });
});

test("a lost database: 503 storage_unavailable, audit inserts throw (the writer keeps them), and recovery without a restart", async () => {
  const storage = await pg.storage(await pg.database());
  await storage.keys.count();
  await pg.server.kill();
  const failure = await storage.keys.getById("key_1").catch((error: unknown) => error);
  expect(failure).toBeInstanceOf(GatewayError);
  expect(failure).toMatchObject({ status: 503, code: "storage_unavailable", retryable: true });
  await expect(storage.responses.get("acme", "resp_1")).rejects.toMatchObject({
    code: "storage_unavailable",
  });
  await expect(storage.audit.insert([makeRecord()])).rejects.toThrow();
  await expect(storage.audit.probe()).rejects.toThrow();
  await pg.server.start();
  // The same pool, no restart: the next calls connect again.
  await storage.audit.probe();
  expect(await storage.audit.insert([makeRecord()])).toEqual({ written: 1, rejected: 0 });
  expect(await storage.keys.count()).toBe(0);
}, 60_000);

test("audit batches are written by a thread with a connection of its own: they land while the node's pool is busy", async () => {
  const url = await pg.database();
  const settings = { ...nodeOptions(url), pool: 1 };
  const sql = connectPostgres(settings);
  pg.closeAfter({ close: () => sql.close({ timeout: 1 }) });
  const store = pg.closeAfter(await createPostgresAuditStore(sql, postgresCalls(sql, undefined), settings));
  let release = () => {};
  const held = new Promise<void>((resolve) => {
    release = resolve;
  });
  let holding = () => {};
  const holds = new Promise<void>((resolve) => {
    holding = resolve;
  });
  // The pool's only connection, held until the batch is written: an insert through the pool
  // would wait for it forever.
  const busy = sql.begin(async (tx) => {
    await tx`SELECT 1`;
    holding();
    await held;
  });
  try {
    await holds;
    const batch = Array.from({ length: 2_000 }, (_, i) =>
      makeRecord({ requestId: `t${i}`, requestBody: i % 2 === 0 ? "x\ty" : null }),
    );
    expect(await store.insert(batch)).toEqual({ written: 2_000, rejected: 0 });
    release();
    await busy;
    const page = await store.select({ order: "asc", bodies: true }, null, 5_000);
    expect(page.length).toBe(2_000);
    expect(page.find((entry) => entry.record.requestId === "t0")?.record.requestBody).toBe("x\ty");
  } finally {
    release();
  }
}, 60_000);
