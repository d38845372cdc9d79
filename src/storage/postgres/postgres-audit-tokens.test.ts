import { expect, test } from "bun:test";
import type { SQL } from "bun";
import { makeRecord } from "../../audit/audit-fixture.ts";
import { auditFilterSchema } from "../../audit/audit-query-schema.ts";
import { auditMigrations } from "./postgres-audit-migrations.ts";
import { migratePostgres } from "./postgres-migrate.ts";
import { postgresFixture } from "./postgres-storage-fixture.ts";

const pg = postgresFixture();

/** Past 2^31: what a buggy or hostile upstream may report, relayed as sent. */
const HUGE = 3_000_000_000;

const oldestFirst = auditFilterSchema.parse({ order: "asc" });

test("a row of 3,000,000,000 input tokens is stored, read back exactly (as numbers) and counted in its tenant's sums", async () => {
  const { storage } = await pg.opened();
  const huge = makeRecord({ requestId: "req_huge", inputTokens: HUGE, outputTokens: HUGE + 1 });
  const small = makeRecord({ requestId: "req_small", startedAt: huge.startedAt + 1 });
  expect(await storage.audit.insert([huge, small])).toEqual({ written: 2, rejected: 0 });
  const rows = await storage.audit.select(oldestFirst, null, 10);
  expect(rows.map((row) => row.record)).toEqual([huge, small]);
  expect(typeof rows[0]?.record.inputTokens).toBe("number");
  const usage = await storage.audit.tenantUsage?.(["acme"], 0, huge.startedAt + 2);
  expect(usage?.get("acme")).toEqual({
    requests: 2,
    inputTokens: HUGE + small.inputTokens,
    outputTokens: HUGE + 1 + small.outputTokens,
    costUsd: huge.costUsd + small.costUsd,
  });
});

/** A database as the release before left it: audit@7, one row of INTEGER's largest count. */
async function databaseAtAudit7() {
  const url = await pg.database();
  const sql = pg.client(url);
  await migratePostgres(sql, "audit", auditMigrations.slice(0, 7));
  await sql`INSERT INTO audit_log (request_id, started_at, front_door, status, stream, latency_ms,
      input_tokens, output_tokens, cost_usd)
    VALUES ('req_before', 1700000000000, 'chat', 200, false, 1, 2147483647, 7, 0)`;
  return { url, sql };
}

/** The token columns' types, and the table's file (a rewrite gives it a new one). */
async function tokenColumns(sql: SQL) {
  const types: { attname: string; type: string }[] = await sql`
    SELECT attname, format_type(atttypid, atttypmod) AS type FROM pg_attribute
    WHERE attrelid = 'audit_log'::regclass AND attname IN ('input_tokens', 'output_tokens') ORDER BY attname`;
  const [file] = await sql`SELECT relfilenode::text AS node FROM pg_class WHERE oid = 'audit_log'::regclass`;
  return { types: types.map((t) => `${t.attname} ${t.type}`), file: (file as { node: string }).node };
}

test("audit@8: a database at audit@7 has its token columns widened, its rows kept, and then takes a row past 2^31", async () => {
  const { url, sql } = await databaseAtAudit7();
  const storage = await pg.storage(url);
  expect((await tokenColumns(sql)).types).toEqual([
    "input_tokens double precision",
    "output_tokens double precision",
  ]);
  const after = makeRecord({ requestId: "req_after", startedAt: 1_700_000_000_001, inputTokens: HUGE });
  expect(await storage.audit.insert([after])).toEqual({ written: 1, rejected: 0 });
  const rows = await storage.audit.select(oldestFirst, null, 10);
  expect(rows.map(({ record }) => [record.requestId, record.inputTokens, record.outputTokens])).toEqual([
    ["req_before", 2_147_483_647, 7],
    ["req_after", HUGE, after.outputTokens],
  ]);
});

test("audit@8 finds columns an operator widened beforehand (a large log, at a quiet time) and leaves the table as it is", async () => {
  const { url, sql } = await databaseAtAudit7();
  await sql`ALTER TABLE audit_log ALTER COLUMN input_tokens TYPE DOUBLE PRECISION,
    ALTER COLUMN output_tokens TYPE DOUBLE PRECISION`;
  const before = await tokenColumns(sql);
  await pg.storage(url);
  expect(await tokenColumns(sql)).toEqual(before);
  const [applied] = await sql`SELECT max(version) AS v FROM schema_migrations WHERE component = 'audit'`;
  expect((applied as { v: number }).v).toBe(auditMigrations.length);
});
