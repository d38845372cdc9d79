import { afterEach, expect, test } from "bun:test";
import { join } from "node:path";
import { openSqliteStorage, type SqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import { exportAudit } from "./audit-export.ts";
import { makeRecord, tempDir } from "./audit-fixture.ts";
import { auditFilterSchema } from "./audit-query-schema.ts";
import { importAudit } from "./import-audit.ts";

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A database file with its audit thread, as `mindgw audit import` opens it. */
function storage(): SqliteStorage {
  const dir = tempDir();
  cleanups.push(dir.cleanup);
  const opened = openSqliteStorage(join(dir.path, "mindgw.db"));
  cleanups.push(() => opened.close());
  return opened;
}

async function exported(store: SqliteStorage["audit"]): Promise<string[]> {
  let text = "";
  for await (const chunk of exportAudit(
    store,
    auditFilterSchema.parse({ order: "asc", bodies: "true" }),
    "ndjson",
  ))
    text += chunk;
  return text.trimEnd().split("\n").filter(Boolean);
}

const rows = Array.from({ length: 30 }, (_, i) =>
  makeRecord({
    requestId: `r${i}`,
    startedAt: 1_700_000_000_000 + i * 1000,
    requestBody: i === 3 ? "body" : null,
  }),
);

test("the rows the log lacks are stored as the gateway stores them; a second import stores none", async () => {
  const { audit } = storage();
  await audit.insert(rows.slice(0, 10));
  const first = await importAudit(audit, rows);
  expect(first.imported.map((r) => r.requestId)).toEqual(rows.slice(10).map((r) => r.requestId));
  expect(first).toMatchObject({ alreadyStored: 10, held: rows.slice(0, 10), refused: [] });
  const again = await importAudit(audit, rows);
  expect(again).toEqual({ imported: [], alreadyStored: 30, held: rows, refused: [] });
  const lines = await exported(audit);
  expect(lines.map((line) => JSON.parse(line).requestId)).toEqual(rows.map((r) => r.requestId));
  expect(JSON.parse(lines[3]!).requestBody).toBe("body");
});

test("a row given twice is stored once; a reused request id at another start is another request", async () => {
  const { audit } = storage();
  const reused = makeRecord({ requestId: "r0", startedAt: rows[0]!.startedAt + 5 });
  const done = await importAudit(audit, [rows[0]!, rows[0]!, reused]);
  expect(done.imported).toEqual([rows[0]!, reused]);
  expect(done.alreadyStored).toBe(1);
  expect(done.held).toEqual([]);
});

test("two requests with one client-sent request id in one millisecond stay two rows; importing them again stores none", async () => {
  const { audit } = storage();
  const first = makeRecord({ requestId: "client-id", startedAt: 1_700_000_000_000, latencyMs: 12.5 });
  const second = { ...first, latencyMs: 40.25, status: 429 };
  const done = await importAudit(audit, [first, second]);
  expect(done.imported).toEqual([first, second]);
  expect(done.alreadyStored).toBe(0);
  const again = await importAudit(audit, [first, second]);
  expect(again).toMatchObject({ imported: [], alreadyStored: 2 });
  expect((await exported(audit)).map((line) => JSON.parse(line).status)).toEqual([first.status, 429]);
  // One of the two stored already (the stop's hung write took it): the other goes in.
  const { audit: partly } = storage();
  await partly.insert([first]);
  expect(await importAudit(partly, [first, second])).toMatchObject({ imported: [second], alreadyStored: 1 });
  expect(await exported(partly)).toHaveLength(2);
});

test("a row the store refuses on its own is named; the others are stored", async () => {
  const { audit } = storage();
  const bad = makeRecord({ requestId: "bad", status: { bad: true } as unknown as number });
  const done = await importAudit(audit, [rows[0]!, bad, rows[1]!]);
  expect(done.imported.map((r) => r.requestId)).toEqual(["r0", "r1"]);
  expect(done.refused.map((r) => r.requestId)).toEqual(["bad"]);
});
