import { expect, test } from "bun:test";
import { shadowPair } from "../../testing/shadow-pair.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { responseMigrations } from "./postgres-migrations.ts";
import { postgresFixture, recordedLog, unreadable } from "./postgres-storage-fixture.ts";

// The item index's backfill against a real PostgreSQL: batches outside the migration's lock, text
// its JSON reader refuses, a node serving while it waits, resumed and retried batches, a stop.

const pg = postgresFixture();

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
