import { expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { auditFilterSchema } from "../../audit/audit-query-schema.ts";
import { parseConfig } from "../../config/load-config.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { keyRecord } from "../../testing/key-record.ts";
import { shadowPair, versionOnePairInsert } from "../../testing/shadow-pair.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { OLDER_ROTATION_REFUSED } from "../older-rotation-refused.ts";
import { openStorage } from "../open-storage.ts";
import { pendingMigrations } from "../pending-migrations.ts";
import { ROTATED_CHAINS } from "../rotated-chains-fixture.ts";
import { createPostgresAuditStore } from "./postgres-audit-store.ts";
import { postgresCalls } from "./postgres-calls.ts";
import { connectPostgres } from "./postgres-client.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import {
  auditMigrations,
  keyMigrations,
  responseMigrations,
  shadowMigrations,
  spendMigrations,
} from "./postgres-migrations.ts";
import { nodeOptions, postgresFixture } from "./postgres-storage-fixture.ts";

const pg = postgresFixture();

/** A log that keeps its lines, for a backfill to report to. */
function recordedLog() {
  const lines: { message: string; fields: Record<string, unknown> }[] = [];
  const keep = (message: string, fields: Record<string, unknown> = {}) => lines.push({ message, fields });
  return { lines, log: { info: keep, warn: keep, error: keep } };
}

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

test("rows stored before the item index are indexed after its migration, outside its lock, in batches; the entries written since kept", async () => {
  const url = await pg.database();
  const sql = pg.client(url);
  await migratePostgres(sql, "responses", responseMigrations.slice(0, 3));
  const row = (tenant: string, id: string, output: unknown) => ({
    tenant,
    id,
    response: JSON.stringify({ id, output }),
    items: "[]",
    created_at: 1,
  });
  const rows = [
    row("acme", "resp_native", [{ id: "msg_up1" }, { id: 7 }, "odd"]),
    ...Array.from({ length: 1_200 }, (_, n) => row("bulk", `resp_${n}`, [{ id: `msg_${n}` }])),
  ];
  for (let at = 0; at < rows.length; at += 400)
    await sql`INSERT INTO stored_responses ${sql(rows.slice(at, at + 400))}`;
  // The migration alone indexes only what is written from then on.
  await migratePostgres(sql, "responses", responseMigrations);
  const [indexed] = await sql`SELECT count(*)::int AS n FROM stored_response_items`;
  expect(indexed).toEqual({ n: 0 });
  await sql`INSERT INTO stored_responses ${sql(row("acme", "resp_newer", [{ id: "msg_up1" }]))}`;
  // Opening fills nothing: the nodes serve at once, finding the rows not yet indexed all the same.
  const nodes = await Promise.all([pg.storage(url), pg.storage(url)]);
  const [node] = nodes;
  expect(await sql`SELECT count(*)::int AS n FROM stored_response_items`).toEqual([{ n: 1 }]);
  expect(await node?.responses.responseOfItem?.("bulk", "msg_1199")).toBe("resp_1199");
  expect(await node?.responses.responseOfItem?.("globex", "msg_0")).toBeNull();
  // Both fill it at once, harmlessly: every row filled once, by one or the other; resp_newer,
  // which its trigger indexed, and resp_native, whose item resp_newer holds, read but not filled.
  const logs = [recordedLog(), recordedLog()];
  await Promise.all(nodes.map((open, n) => open.backfill?.(logs[n]!.log)));
  const done = logs.flatMap((log) => log.lines).filter((line) => line.message.endsWith("item index done"));
  expect(done.reduce((rows, line) => rows + Number(line.fields.rows), 0)).toBe(1_200);
  expect(await node?.responses.responseOfItem?.("acme", "msg_up1")).toBe("resp_newer");
  expect(await node?.responses.responseOfItem?.("globex", "msg_up1")).toBeNull();
  expect(await node?.responses.responseOfItem?.("bulk", "msg_0")).toBe("resp_0");
  expect(await node?.responses.responseOfItem?.("bulk", "msg_1199")).toBe("resp_1199");
  const [count] = await sql`SELECT count(*)::int AS n FROM stored_response_items`;
  expect(count).toEqual({ n: 1_201 });
  // Free tenant labels stopped being written when migration 4 ran: every node says the same.
  const [applied] =
    await sql`SELECT applied_at::float8 AS at FROM schema_migrations WHERE component = 'responses' AND version = 4`;
  expect(nodes.map((open) => open.responses.labelScopesClosedAt)).toEqual([applied.at, applied.at]);
});

/** Output text PostgreSQL's JSON reader refuses: an answer cut inside an emoji, and one holding NUL. */
const unreadable = { emoji: "😀".slice(0, 1), nul: "a\u0000b" };
/** A Responses answer whose output message, `msg_<id>`, says `text`. */
const answer = (id: string, text: string) => ({
  id,
  output: [{ id: `msg_${id}`, type: "message", content: [{ type: "output_text", text }] }],
});

test("a response whose output holds text PostgreSQL's JSON reader refuses (a lone surrogate, NUL) is stored, read back as sent and found by its item's id", async () => {
  const storage = await pg.storage(await pg.database());
  for (const [id, text] of Object.entries(unreadable)) {
    const record = { tenant: "acme", id, response: answer(id, text), items: [], createdAt: 1 };
    await storage.responses.save(record);
    expect(await storage.responses.get("acme", id)).toMatchObject({ response: answer(id, text) });
    expect(await storage.responses.responseOfItem?.("acme", `msg_${id}`)).toBe(id);
  }
});

test("rows stored before the item index whose output holds text PostgreSQL's JSON reader refuses are indexed by the backfill, and the node starts", async () => {
  const url = await pg.database();
  const sql = pg.client(url);
  await migratePostgres(sql, "responses", responseMigrations.slice(0, 3));
  for (const [id, text] of Object.entries(unreadable))
    await sql`INSERT INTO stored_responses ${sql({ tenant: "acme", id, response: JSON.stringify(answer(id, text)), items: "[]", created_at: 1 })}`;
  const storage = await pg.storage(url);
  const { lines, log } = recordedLog();
  await storage.backfill?.(log);
  expect(lines.at(-1)).toMatchObject({ message: "backfill of stored responses' item index done" });
  for (const id of Object.keys(unreadable))
    expect(await storage.responses.responseOfItem?.("acme", `msg_${id}`)).toBe(id);
});

/** A response stored once the item index exists: its trigger indexes `msg_new`. */
const storedSince = {
  tenant: "acme",
  id: "resp_new",
  response: { id: "resp_new", output: [{ id: "msg_new" }] },
  items: [],
  createdAt: 2,
};

test("a node serves while its backfill waits (another node's batch holds the progress row): the rows not yet reached are found, by item and by caller; released, the backfills end, the item index first (requests wait on it), and say how many rows they filled", async () => {
  const { held, storage, sql } = await pg.waitingBackfill(1_200, 600);
  const { lines, log } = recordedLog();
  const backfilling = storage.backfill?.(log);
  await waitForValue("the backfill to start", () => lines.length > 0);
  expect(lines).toEqual([
    {
      message: "backfill of stored responses' item index started",
      fields: { backfill: "responses.item_index@1", rows: 1_200, resumed: false },
    },
  ]);
  // Every record read for its caller's id, counted.
  await sql.unsafe(`CREATE SEQUENCE key_id_reads;
    ALTER FUNCTION shadow_record_key_id(text) RENAME TO shadow_record_key_id_read;
    CREATE FUNCTION shadow_record_key_id(record text) RETURNS text LANGUAGE plpgsql AS $$
    BEGIN
      PERFORM nextval('key_id_reads');
      RETURN shadow_record_key_id_read(record);
    END $$;`);
  // The node answers meanwhile, from rows no backfill has reached.
  expect(await storage.responses.responseOfItem?.("acme", "msg_up1199")).toBe("resp_1199");
  expect(await storage.responses.responseOfItem?.("acme", "msg_up_none")).toBeNull();
  expect(await storage.shadow?.list({ keyId: "key_ci" }, null, 1_000)).toHaveLength(599);
  // A pair's record is parsed only where its text holds the caller's id: none for another.
  expect(await storage.shadow?.list({ keyId: "key_other" }, null, 1_000)).toEqual([]);
  expect(await sql`SELECT last_value::int AS n FROM key_id_reads`).toEqual([{ n: 599 }]);
  expect(await sql`SELECT count(*)::int AS n FROM stored_response_items`).toEqual([{ n: 0 }]);
  // Written meanwhile, filled by the writer (its caller's id) and the trigger (its item): read by
  // the batches, counted as filled by neither.
  await storage.shadow?.insert([shadowPair(1, { id: "pair_new" })]);
  await storage.responses.save(storedSince);
  expect(Bun.peek.status(backfilling ?? Promise.resolve())).toBe("pending");
  await held.release();
  await backfilling;
  // rows=: how many are left to read at the start, how many this node filled at the end.
  expect(lines.map((line) => [line.message, line.fields.rows])).toEqual([
    ["backfill of stored responses' item index started", 1_200],
    ["backfill of stored responses' item index done", 1_200],
    ["backfill of shadow pairs' caller ids started", 600],
    ["backfill of shadow pairs' caller ids done", 600],
  ]);
  expect(await sql`SELECT count(*)::int AS n FROM stored_response_items`).toEqual([{ n: 1_201 }]);
  expect(await storage.shadow?.list({ keyId: "key_ci" }, null, 1_000)).toHaveLength(600);
  // Marked: a node opening later has nothing to do, nor an older release's (shadow.key_id@1).
  expect(
    await sql`SELECT component, version FROM schema_migrations WHERE component LIKE '%.%' ORDER BY 1, 2`,
  ).toEqual([
    { component: "responses.item_index", version: 1 },
    { component: "shadow.key_id", version: 1 },
    { component: "shadow.key_id", version: 2 },
  ]);
}, 60_000);

/** Counts each call of stored_response_item_ids, a response's JSON parsed, in `item_id_reads`. */
const countItemIdReads = `CREATE SEQUENCE item_id_reads;
  ALTER FUNCTION stored_response_item_ids(text) RENAME TO stored_response_item_ids_read;
  CREATE FUNCTION stored_response_item_ids(response text) RETURNS text[] LANGUAGE plpgsql AS $$
  BEGIN
    PERFORM nextval('item_id_reads');
    RETURN stored_response_item_ids_read(response);
  END $$;`;

test("while the backfill waits, the ids a request looks up at once that the index misses are looked for in one statement, which parses only the unreached rows whose text holds one of them, where each id parsed every unreached row", async () => {
  const { storage, sql } = await pg.waitingBackfill(300);
  await sql.unsafe(countItemIdReads);
  // Codex's turn without store: ids no response holds, and one an unreached row does.
  const ids = [...Array.from({ length: 20 }, (_, n) => `rs_echoed_${n}`), "msg_up7"];
  const found = await Promise.all(ids.map((id) => storage.responses.responseOfItem?.("acme", id)));
  expect(found.filter((id) => id !== null)).toEqual(["resp_7"]);
  // Only the row whose text holds one of them (as JSON writes it) is parsed: "msg_up7", not "msg_up70".
  expect(await sql`SELECT last_value::int AS n FROM item_id_reads`).toEqual([{ n: 1 }]);
  // A lookup the index answers (a response stored since, its trigger reading it) reads no other.
  await storage.responses.save(storedSince);
  expect(await storage.responses.responseOfItem?.("acme", "msg_new")).toBe("resp_new");
  expect(await sql`SELECT last_value::int AS n FROM item_id_reads`).toEqual([{ n: 2 }]);
}, 60_000);

test("while the backfill waits, a request's thousands of ids (a long Codex session's, 52 characters each) are looked for at once, indexed ones and missed ones, each unreached row parsed once, where one pattern of them all was 'too complex' for PostgreSQL", async () => {
  const { storage, sql } = await pg.waitingBackfill(300);
  // Stored since the migration: indexed by the trigger.
  await storage.responses.save(storedSince);
  await sql.unsafe(countItemIdReads);
  const echoed = Array.from({ length: 5_200 }, (_, n) => `rs_${String(n).padStart(4, "0")}${"e".repeat(45)}`);
  const ids = [...echoed, "msg_new", "msg_up7", "msg_up299"];
  const found = await Promise.all(ids.map((id) => storage.responses.responseOfItem?.("acme", id)));
  expect(found.filter((id) => id !== null)).toEqual(["resp_new", "resp_7", "resp_299"]);
  // Past a hundred missed ids, a search of each row's text costs more than its parse: 301 rows, once each.
  expect(await sql`SELECT last_value::int AS n FROM item_id_reads`).toEqual([{ n: 301 }]);
}, 60_000);

test("while the backfill waits, a hundred missed ids of 3,000 characters each are searched for in patterns PostgreSQL takes, where one of them all was 'too complex'", async () => {
  const { storage, sql } = await pg.waitingBackfill(20);
  await sql.unsafe(countItemIdReads);
  const long = Array.from({ length: 99 }, (_, n) => `rs_${String(n).padStart(2, "0")}${"l".repeat(2_995)}`);
  const found = await Promise.all(
    [...long, "msg_up7"].map((id) => storage.responses.responseOfItem?.("acme", id)),
  );
  expect(found.filter((id) => id !== null)).toEqual(["resp_7"]);
  // Searched, not parsed: resp_7 alone.
  expect(await sql`SELECT last_value::int AS n FROM item_id_reads`).toEqual([{ n: 1 }]);
}, 60_000);

test("while the backfill waits, an unreached row whose text holds only ids the index found is not parsed: the search covers the missed ids alone, each as JSON writes it", async () => {
  const { storage, sql } = await pg.waitingBackfill(20);
  await storage.responses.save(storedSince);
  // Unreached rows (the trigger kept off, as before the index): one naming the indexed id outside
  // its output, one whose item id a regular expression reads as other than itself.
  await sql.unsafe(String.raw`ALTER TABLE stored_responses DISABLE TRIGGER USER;
    UPDATE stored_responses SET response = '{"id":"resp_8","output":[{"id":"msg_up8"}],"metadata":{"seen":"msg_new"}}'
      WHERE id = 'resp_8';
    UPDATE stored_responses SET response = '{"id":"resp_9","output":[{"id":"msg.\\up9"}]}' WHERE id = 'resp_9';
    ALTER TABLE stored_responses ENABLE TRIGGER USER;`);
  await sql.unsafe(countItemIdReads);
  const found = await Promise.all(
    ["msg_new", "msg_up7", "msg.\\up9"].map((id) => storage.responses.responseOfItem?.("acme", id)),
  );
  expect(found).toEqual(["resp_new", "resp_7", "resp_9"]);
  // resp_7 and resp_9 alone; resp_8 (and resp_new) hold only msg_new, which the index answered.
  expect(await sql`SELECT last_value::int AS n FROM item_id_reads`).toEqual([{ n: 2 }]);
}, 60_000);

test("an item whose row a batch indexes while it is looked up is found: the index and the unreached rows are read in one snapshot", async () => {
  const url = await pg.toBackfill(20, 0);
  const storage = await pg.storage(url);
  const sql = pg.client(url);
  const batch = pg.client(url);
  let committed = () => {};
  const commit = new Promise<void>((resolve) => {
    committed = resolve;
  });
  // A batch of another node, whose lock on stored_responses stands for its time between reads:
  // it indexes resp_7 and moves the position past it, and commits while the lookup runs.
  let locked = () => {};
  const holds = new Promise<void>((resolve) => {
    locked = resolve;
  });
  const batching = batch.begin(async (tx) => {
    await tx`LOCK TABLE stored_responses IN ACCESS EXCLUSIVE MODE`;
    await tx`INSERT INTO stored_response_items (tenant, item_id, response_id) VALUES ('acme', 'msg_up7', 'resp_7')`;
    await tx`INSERT INTO backfill_progress (component, version, after) VALUES ('responses.item_index', 1, '["acme","resp_7"]')`;
    locked();
    await commit;
  });
  await holds;
  const lookup = storage.responses.responseOfItem?.("acme", "msg_up7");
  await waitForValue(
    "the lookup waiting for the batch's lock",
    async () => {
      // The lookup's text as pg_stat_activity keeps it (its first 1,024 bytes) names the index.
      const [row] = await sql`SELECT count(*)::int AS n FROM pg_stat_activity
        WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%stored_response_items%'`;
      return row?.n === 1;
    },
    10_000,
    10,
  );
  committed();
  await batching;
  expect(await lookup).toBe("resp_7");
}, 60_000);

test("a backfill a node left halfway (stopped or crashed) resumes where its last batch ended", async () => {
  const url = await pg.toBackfill(1_200, 0);
  const sql = pg.client(url);
  // The position a node's last committed batch left; its batch after it rolled back with it.
  await sql`INSERT INTO backfill_progress (component, version, after)
    SELECT 'responses.item_index', 1, json_build_array(tenant, id)::text
    FROM stored_responses ORDER BY tenant, id OFFSET 499 LIMIT 1`;
  const storage = await pg.storage(url);
  const { lines, log } = recordedLog();
  // Before it runs, a row behind the position is the index's alone (which the batches filled).
  const [behind] = await sql`SELECT id FROM stored_responses ORDER BY tenant, id LIMIT 1`;
  expect(await storage.responses.responseOfItem?.("acme", `msg_up${String(behind.id).slice(5)}`)).toBeNull();
  await storage.backfill?.(log);
  expect(lines.map((line) => [line.message, line.fields.rows, line.fields.resumed ?? null])).toEqual([
    ["backfill of stored responses' item index started", 700, true],
    ["backfill of stored responses' item index done", 700, null],
  ]);
  // Only the rows past the position were read.
  expect(await sql`SELECT count(*)::int AS n FROM stored_response_items`).toEqual([{ n: 700 }]);
}, 60_000);

test("a backfill whose batch fails (the database lost a moment) says so, tries again, and ends once it is back", async () => {
  const { held, storage } = await pg.waitingBackfill(1_200);
  const { lines, log } = recordedLog();
  const backfilling = storage.backfill?.(log);
  await waitForValue("the backfill to start", () => lines.length > 0);
  await pg.server.kill();
  await held.release().catch(() => {});
  await waitForValue("the failed batch's line", () => lines.some((line) => line.message.includes("failed")));
  await pg.server.start();
  await backfilling;
  expect(lines.find((line) => line.message.includes("failed"))?.message).toStartWith(
    "backfill responses.item_index@1 failed; trying again in 1 s",
  );
  expect(lines.at(-1)).toMatchObject({
    message: "backfill of stored responses' item index done",
    fields: { rows: 1_200 },
  });
}, 60_000);

test("a node stops at once while its backfill's batch waits for another node's (statement_timeout 0, no end): the batch rolls back, and the store is closed", async () => {
  const { held, storage, sql } = await pg.waitingBackfill(600, 0, { statementTimeoutMs: 0 });
  const { lines, log } = recordedLog();
  const backfilling = storage.backfill?.(log);
  await waitForValue(
    "the batch waiting for the progress row",
    async () => {
      const [row] = await sql`SELECT count(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE '%backfill_progress%'`;
      return row?.n === 1;
    },
    10_000,
    10,
  );
  // The other node still holds it: the stop waits for none of it.
  await storage.close();
  await backfilling;
  expect(lines.at(-1)?.message).toBe(
    "backfill of stored responses' item index stopped with the node; the next start resumes it",
  );
  // Its pool is closed: nothing of it is left open.
  await expect(storage.responses.get("acme", "resp_0")).rejects.toThrow();
  await held.release();
  expect(await sql`SELECT after FROM backfill_progress WHERE component = 'responses.item_index'`).toEqual([
    { after: null },
  ]);
}, 30_000);

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
