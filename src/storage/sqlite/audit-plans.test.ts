import type { Database } from "bun:sqlite";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../../audit/audit-fixture.ts";
import { auditFilterSchema } from "../../audit/audit-query-schema.ts";
import { buildLargeLog } from "../../audit/testing/large-log.ts";
import { drivingValues, NEXT_STATUS, selectPage } from "./audit-select.ts";
import { TENANT_USAGE } from "./audit-tenant-usage.ts";
import { INTERNED, unreferenced } from "./interned-sweep.ts";
import { openDatabase } from "./open-database.ts";
import { OLDEST_BEFORE } from "./sqlite-audit-store.ts";

/**
 * Every read of the audit log stays on an index of audit_log however the table's indexes change
 * (each one costs the audit thread every row it writes): the plans SQLite picks for each filter
 * of `/admin/api/audit` and `mindgw audit query|export` (the admin UI's Requests page among them),
 * the UI's lookup of one request's row, the tenants' usage, and retention's read of the oldest rows.
 */
const dir = tempDir();
const path = join(dir.path, "audit.db");
let db: Database;
beforeAll(() => {
  buildLargeLog(path, { rows: 20_000, startMs: 1_800_000_000_000, stepMs: 7 });
  db = openDatabase(path, { readonly: true });
});
afterAll(() => {
  db.close();
  dir.cleanup();
});

function plan(sql: string, params: readonly (string | number)[]): string[] {
  return db
    .query<{ detail: string }, (string | number)[]>(`EXPLAIN QUERY PLAN ${sql}`)
    .all(...params)
    .map((row) => row.detail);
}

/** The plan's steps that read audit_log (`l` in the page queries). */
const logSteps = (steps: string[]) => steps.filter((step) => /^(SEARCH|SCAN) (l|audit_log)\b/.test(step));

test("audit_log has one index per filter column, each ending in time: none by request id", () => {
  const indexes = db
    .query<{ name: string }, []>(
      "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'audit_log' ORDER BY name",
    )
    .all()
    .map((row) => row.name);
  expect(indexes).toEqual(["audit_log_model", "audit_log_principal", "audit_log_status", "audit_log_time"]);
});

test("the status index leaves out the 200s (audit migration 7): only the other rows are in it", () => {
  const count = (sql: string) => db.query<{ n: number }, []>(sql).get()?.n;
  const indexed = count(
    "SELECT count(*) AS n FROM audit_log INDEXED BY audit_log_status WHERE status <> 200",
  );
  expect(indexed).toBe(count("SELECT count(*) AS n FROM audit_log WHERE status <> 200"));
  expect(indexed).toBeLessThan(count("SELECT count(*) AS n FROM audit_log") ?? 0);
  expect(plan(NEXT_STATUS, [499, 599])).toEqual([
    "SEARCH l USING COVERING INDEX audit_log_status (status>? AND status<?)",
  ]);
});

describe("each filter's page reads audit_log through an index", () => {
  const later = { startedAt: 1_800_000_100_000, id: 5 };
  const cases: [string, Record<string, unknown>, string][] = [
    ["no filter (newest first)", {}, "audit_log_time"],
    ["a time range", { from: 1_800_000_050_000, to: 1_800_000_090_000 }, "audit_log_time"],
    // The admin UI's request detail: the row's own millisecond, then its request id among those rows.
    [
      "one request's millisecond",
      { from: 1_800_000_050_004, to: 1_800_000_050_005, bodies: true },
      "audit_log_time",
    ],
    ["a key", { key: "batch" }, "audit_log_principal"],
    ["a tenant", { tenant: "beta" }, "audit_log_principal"],
    ["a model", { model: "gpt-4o-mini" }, "audit_log_model"],
    ["a status", { status: 429 }, "audit_log_status"],
    ["a status class", { status: "5xx" }, "audit_log_status"],
    // Nearly every row: not in the status index (audit migration 7), most of any page of time.
    ["status 200", { status: 200 }, "audit_log_time"],
    ["the 2xx class", { status: "2xx" }, "audit_log_time"],
    // No index of its own (few routes): walks time in order, as it always has.
    ["a route", { route: "provider:openai" }, "audit_log_time"],
    // A worker's name: its rows on every node (worker:<name>@<node>), the same walk.
    ["a worker's route", { route: "worker:w1" }, "audit_log_time"],
    // No index of its own either (few apps, each much of the traffic): the same walk.
    ["an app", { app: "team-a-app" }, "audit_log_time"],
    [
      "key, model and status class, oldest first",
      { key: "ci", model: "gpt-4o-mini", status: "4xx", order: "asc" },
      "audit_log_principal",
    ],
  ];
  for (const [name, raw, index] of cases) {
    for (const after of [null, later]) {
      test(`${name}${after ? ", a later page" : ""}: ${index}`, () => {
        const filter = auditFilterSchema.parse(raw);
        const { sql, params } = selectPage(filter, after, 100, drivingValues(db, filter));
        const steps = logSteps(plan(sql, params as (string | number)[]));
        expect(steps.some((step) => new RegExp(`INDEX ${index}\\b`).test(step))).toBe(true);
        // Every read of the log seeks an index or the rowid: never the table scanned whole.
        for (const step of steps) expect(step).toMatch(/USING (COVERING )?INDEX|USING INTEGER PRIMARY KEY/);
      });
    }
  }
});

test("a tenant's usage walks its principals' (principal_id, started_at) ranges, never every tenant's rows", () => {
  // Over the whole log's time: left to itself SQLite would take the time index for the range.
  const steps = plan(TENANT_USAGE, [JSON.stringify(["beta"]), 1_800_000_000_000, 1_900_000_000_000]);
  expect(logSteps(steps)).toEqual([
    "SEARCH l USING INDEX audit_log_principal (principal_id=? AND started_at>? AND started_at<?)",
  ]);
});

test("retention reads the oldest rows through the time index", () => {
  expect(logSteps(plan(OLDEST_BEFORE, [1_800_000_050_000, 1000]))).toEqual([
    "SEARCH audit_log USING COVERING INDEX audit_log_time (started_at<?)",
  ]);
});

test("retention's sweep of interned values no row refers to walks their last-row index", () => {
  for (const table of INTERNED)
    expect(plan(unreferenced(table), [1000, 100])).toEqual([
      `SEARCH ${table} USING COVERING INDEX ${table}_last_log (last_log_id<?)`,
    ]);
});
