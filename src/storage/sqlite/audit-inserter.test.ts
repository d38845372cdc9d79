import { afterAll, expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { auditFilterSchema } from "../../audit/audit-query-schema.ts";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { encodeAuditBatch } from "../../audit/audit-row-bytes.ts";
import { parseAuditBatch } from "../../audit/audit-row-reader.ts";
import { AuditInserter } from "./audit-inserter.ts";
import { prepareAuditDatabase } from "./audit-migrations.ts";
import { openDatabase } from "./open-database.ts";
import { createSqliteAuditStore } from "./sqlite-audit-store.ts";
import { tempDir } from "./test-helpers.ts";

const tmp = tempDir();
afterAll(tmp.cleanup);

const callers: Partial<AuditRecord>[] = [
  { keyId: "key_1", keyName: "ci", tenant: "acme", role: "user" },
  { keyId: "key_1", keyName: "ci", tenant: "acme", role: "admin" },
  { keyId: "key_1", keyName: "ci", tenant: "beta", role: "admin" },
  { keyId: "key_1", keyName: "web", tenant: "beta", role: "admin" },
  { keyId: "key_2", keyName: "web", tenant: "beta", role: "admin" },
  { keyId: null, keyName: null, tenant: null, role: null },
];

test("rows bound from a parsed batch read back as the records, each caller its own principal however the rows alternate", async () => {
  const path = tmp.file("callers.db");
  const store = createSqliteAuditStore({ database: () => openDatabase(path) });
  // Runs of one caller, and callers that differ from the one before in a single field.
  const order = [0, 0, 1, 1, 1, 2, 3, 4, 5, 4, 0, 5, 5, 3];
  const records = order.map((caller, i) =>
    makeRecord({ requestId: `r${i}`, startedAt: 1_700_000_000_000 + i, ...callers[caller] }),
  );
  expect(await store.insertRows(parseAuditBatch(encodeAuditBatch(records)))).toEqual({
    written: records.length,
    rejected: 0,
  });
  const read = await store.select(auditFilterSchema.parse({ order: "asc" }), null, 100);
  expect(read.map((entry) => entry.record)).toEqual(records);
  await store.close();
  const db = openDatabase(path, { readonly: true });
  expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_principals").get()?.n).toBe(5);
  db.close();
});

test("a principal interned in a batch that rolled back is interned again, not taken from the cache", () => {
  const db = openDatabase(tmp.file("rollback.db"));
  prepareAuditDatabase(db);
  const inserter = new AuditInserter(db);
  const caller = callers[2] as Partial<AuditRecord>;
  expect(inserter.insertBatch([makeRecord({ requestId: "first" })])).toEqual({ written: 1, rejected: 0 });
  // A full disk mid-batch: the batch's new principal and its rows go back with it.
  const pages = db.query<{ n: number }, []>("PRAGMA page_count").get()?.n ?? 0;
  db.run(`PRAGMA max_page_count = ${pages + 1}`);
  const big = Array.from({ length: 40 }, (_, i) =>
    makeRecord({ requestId: `big${i}`, ...caller, errorMessage: "x".repeat(1000) }),
  );
  expect(() => inserter.insertBatch(big)).toThrow();
  db.run("PRAGMA max_page_count = 1000000");
  expect(inserter.insertBatch([makeRecord({ requestId: "after", ...caller })])).toEqual({
    written: 1,
    rejected: 0,
  });
  const row = db
    .query<{ tenant: string | null; role: string | null }, []>(
      "SELECT p.tenant, p.role FROM audit_log l LEFT JOIN audit_principals p ON p.id = l.principal_id WHERE l.request_id = 'after'",
    )
    .get();
  expect(row).toEqual({ tenant: "beta", role: "admin" });
  inserter.finalize();
  db.close();
});
