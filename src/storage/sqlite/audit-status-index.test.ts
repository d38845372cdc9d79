import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { type AuditFilter, auditFilterSchema } from "../../audit/audit-query-schema.ts";
import { AuditInserter } from "./audit-inserter.ts";
import { AUDIT_MIGRATIONS, prepareAuditDatabase } from "./audit-migrations.ts";
import { migrate } from "./migrate.ts";
import { createSqliteAuditStore } from "./sqlite-audit-store.ts";

const STATUSES = [200, 200, 200, 201, 304, 404, 429, 500, 502];
const records = Array.from({ length: 180 }, (_, i) =>
  makeRecord({ requestId: `r${i}`, startedAt: 1_700_000_000_000 + (i % 60) * 1000, status: STATUSES[i % 9] }),
);
const filters: AuditFilter[] = [200, 201, 429, 502, "2xx", "3xx", "4xx", "5xx"].map((status) =>
  auditFilterSchema.parse({ status }),
);

const statusIndexSql = (db: Database) =>
  db.query<{ sql: string }, []>("SELECT sql FROM sqlite_master WHERE name = 'audit_log_status'").get()?.sql;

/** Every row id each filter returns, in order. */
async function everyFilter(db: Database): Promise<number[][]> {
  const store = createSqliteAuditStore({ database: db });
  return Promise.all(
    filters.map(async (filter) => (await store.select(filter, null, 1000)).map((row) => row.position.id)),
  );
}

test("a log written before audit migration 7 upgrades: its status index loses the 200s, and every status filter returns the same rows", async () => {
  const db = new Database(":memory:");
  // With migration 8's stamps and 9's app too, which today's inserter writes (migrations apply in
  // any gaps later).
  migrate(db, "audit", [...AUDIT_MIGRATIONS.slice(0, 6), ...AUDIT_MIGRATIONS.slice(7)]);
  new AuditInserter(db).insertBatch(records);
  expect(statusIndexSql(db)).not.toContain("WHERE");
  const before = await everyFilter(db);

  prepareAuditDatabase(db);
  expect(statusIndexSql(db)).toContain("WHERE status <> 200");
  const indexed = db
    .query<{ n: number }, []>(
      "SELECT count(*) AS n FROM audit_log INDEXED BY audit_log_status WHERE status <> 200",
    )
    .get()?.n;
  expect(indexed).toBe(records.filter((r) => r.status !== 200).length);
  expect(await everyFilter(db)).toEqual(before);
  expect(before.every((ids) => ids.length > 0)).toBe(true);
  db.close();
});
