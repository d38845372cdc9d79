import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { AuditPosition } from "../../audit/audit-cursor.ts";
import { tempDir } from "../../audit/audit-fixture.ts";
import { type AuditFilter, auditFilterSchema } from "../../audit/audit-query-schema.ts";
import { buildLargeLog } from "../../audit/testing/large-log.ts";
import { type AuditRow, drivingValues, selectPage } from "./audit-select.ts";
import { openDatabase } from "./open-database.ts";

const dir = tempDir();
const path = join(dir.path, "audit.db");
beforeAll(() => buildLargeLog(path, { rows: 20_000, startMs: 1_800_000_000_000, stepMs: 7 }));
afterAll(() => dir.cleanup());

/** Every id the filter selects, page by page, with or without the driving-index plan. */
function walk(filter: AuditFilter, driven: boolean): number[] {
  const db = openDatabase(path, { readonly: true });
  try {
    const ids: number[] = [];
    let after: AuditPosition | null = null;
    for (;;) {
      const drive = driven ? drivingValues(db, filter) : undefined;
      if (drive?.values.length === 0) return ids;
      const { sql, params } = selectPage(filter, after, 500, drive);
      const rows = db.query<AuditRow, typeof params>(sql).all(...params);
      ids.push(...rows.map((row) => row.id));
      const last = rows.at(-1);
      if (!last || rows.length < 500) return ids;
      after = { startedAt: last.started_at, id: last.id };
    }
  } finally {
    db.close();
  }
}

describe("selectPage with driving values (key, tenant, status class)", () => {
  const filters: Record<string, string | number>[] = [
    { key: "batch" },
    { key: "key_1", status: "4xx" },
    { tenant: "beta", order: "asc" },
    { status: "5xx" },
    { status: "5xx", model: "gpt-4o-mini", from: 1_800_000_050_000 },
    { key: "nobody" },
    { status: "3xx" },
  ];
  for (const raw of filters) {
    test(`${JSON.stringify(raw)}: the same rows in the same order as the plain query`, () => {
      const filter = auditFilterSchema.parse(raw);
      const plain = walk(filter, false);
      const none = raw.key === "nobody" || raw.status === "3xx";
      expect(plain.length > 0).toBe(!none);
      expect(walk(filter, true)).toEqual(plain);
    });
  }

  test("the driven query walks an index in order instead of sorting every match", () => {
    const db = openDatabase(path, { readonly: true });
    const filter = auditFilterSchema.parse({ key: "batch" });
    const { sql, params } = selectPage(filter, null, 50, drivingValues(db, filter));
    const plan = db
      .query<{ detail: string }, typeof params>(`EXPLAIN QUERY PLAN ${sql}`)
      .all(...params)
      .map((row) => row.detail);
    db.close();
    expect(plan.some((detail) => detail.includes("audit_log_principal"))).toBe(true);
    expect(plan.filter((detail) => detail.includes("TEMP B-TREE"))).toHaveLength(1); // only the merge of ≤ 50 rows per arm
  });
});
