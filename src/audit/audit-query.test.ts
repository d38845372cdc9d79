import { Database } from "bun:sqlite";
import { beforeAll, describe, expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { parseInput } from "../http/parse-input.ts";
import { AuditInserter } from "../storage/sqlite/audit-inserter.ts";
import { prepareAuditDatabase } from "../storage/sqlite/audit-migrations.ts";
import { createSqliteAuditStore } from "../storage/sqlite/sqlite-audit-store.ts";
import { makeRecord } from "./audit-fixture.ts";
import { queryAudit } from "./audit-query.ts";
import { type AuditQuery, auditQuerySchema } from "./audit-query-schema.ts";
import { type AuditRecord, statusClassOf } from "./audit-record.ts";

const db = new Database(":memory:");
const store = createSqliteAuditStore({ database: db });
const BASE = 1_700_000_000_000;
// 101: a Responses WebSocket's accepted upgrade, class 1xx, not 2xx.
const STATUSES = [101, 200, 201, 404, 429, 500, 502];
// Timestamps repeat (i % 50) so the rowid tie-break is exercised.
const records: AuditRecord[] = Array.from({ length: 300 }, (_, i) =>
  makeRecord({
    requestId: `r${i}`,
    startedAt: BASE + (i % 50) * 1000,
    keyId: `key_${i % 3}`,
    keyName: `name-${i % 3}`,
    model: `model-${i % 2}`,
    route: `provider:p${i % 4}`,
    status: STATUSES[i % STATUSES.length]!,
  }),
);

beforeAll(() => {
  prepareAuditDatabase(db);
  new AuditInserter(db).insertBatch(records);
});

/** Follows nextCursor to the end with a small page size. */
async function readAll(params: Record<string, unknown>): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let cursor: string | undefined;
  for (let pages = 0; pages < 1000; pages++) {
    const query: AuditQuery = auditQuerySchema.parse({ ...params, limit: 7, ...(cursor ? { cursor } : {}) });
    const page = await queryAudit(store, query);
    out.push(...page.records);
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
  throw new Error("pagination did not end");
}

const ids = (list: AuditRecord[]) => list.map((r) => r.requestId).sort();

describe("queryAudit", () => {
  const cases: [string, Record<string, unknown>, (r: AuditRecord) => boolean][] = [
    ["no filter", {}, () => true],
    [
      "from/to",
      { from: String(BASE + 10_000), to: new Date(BASE + 20_000).toISOString() },
      (r) => r.startedAt >= BASE + 10_000 && r.startedAt < BASE + 20_000,
    ],
    ["key id", { key: "key_1" }, (r) => r.keyId === "key_1"],
    ["key name", { key: "name-2" }, (r) => r.keyName === "name-2"],
    ["model", { model: "model-1" }, (r) => r.model === "model-1"],
    ["route", { route: "provider:p3" }, (r) => r.route === "provider:p3"],
    ["status class", { status: "4xx" }, (r) => statusClassOf(r.status) === "4xx"],
    ["status 101", { status: "101" }, (r) => r.status === 101],
    ["exact status", { status: "502" }, (r) => r.status === 502],
    // 200 has no status index of its own (audit migration 7): the time index serves these.
    ["status 200", { status: "200" }, (r) => r.status === 200],
    ["status 201", { status: "201" }, (r) => r.status === 201],
    ["the 2xx class", { status: "2xx" }, (r) => r.status >= 200 && r.status < 300],
    ["the 1xx class", { status: "1xx" }, (r) => r.status === 101],
    ["unknown model", { model: "nope" }, () => false],
    [
      "combined",
      { key: "key_0", model: "model-0", status: "5xx" },
      (r) => r.keyId === "key_0" && r.model === "model-0" && r.status >= 500,
    ],
  ];
  for (const [name, params, keep] of cases) {
    test(`filter: ${name}, paged without duplicates or gaps`, async () => {
      const got = await readAll(params);
      expect(new Set(got.map((r) => r.requestId)).size).toBe(got.length);
      expect(ids(got)).toEqual(ids(records.filter(keep)));
    });
  }

  test("desc order is newest first and asc oldest first, with rowid breaking ties", async () => {
    const desc = await readAll({});
    const asc = await readAll({ order: "asc" });
    expect(asc.map((r) => r.requestId)).toEqual(desc.map((r) => r.requestId).reverse());
    for (let i = 1; i < asc.length; i++)
      expect(asc[i]!.startedAt).toBeGreaterThanOrEqual(asc[i - 1]!.startedAt);
  });

  test("returns AuditRecord-shaped rows", async () => {
    const page = await queryAudit(store, auditQuerySchema.parse({ order: "asc", limit: "1" }));
    const { requestId, ...rest } = records[0]!;
    expect(page.records[0]).toEqual({ requestId, ...rest });
  });

  test("the cursor is stable under inserts", async () => {
    const local = new Database(":memory:");
    prepareAuditDatabase(local);
    const inserter = new AuditInserter(local);
    inserter.insertBatch(records.slice(0, 100));
    const first = await queryAudit(
      createSqliteAuditStore({ database: local }),
      auditQuerySchema.parse({ limit: 40 }),
    );
    // Newer rows arrive between pages; the pages already served do not shift.
    inserter.insertBatch(records.slice(100).map((r) => ({ ...r, startedAt: r.startedAt + 10_000_000 })));
    const seen = first.records.map((r) => r.requestId);
    let cursor = first.nextCursor;
    while (cursor !== null) {
      const page = await queryAudit(
        createSqliteAuditStore({ database: local }),
        auditQuerySchema.parse({ limit: 40, cursor }),
      );
      seen.push(...page.records.map((r) => r.requestId));
      cursor = page.nextCursor;
    }
    expect(seen.sort()).toEqual(ids(records.slice(0, 100)));
    local.close();
  });

  test("a status filter takes a class in either case or a code; anything else is told what it takes", () => {
    expect(auditQuerySchema.parse({ status: "4XX" }).status).toBe("4xx");
    expect(auditQuerySchema.parse({ status: "429" }).status).toBe(429);
    expect(auditQuerySchema.parse({ status: 502 }).status).toBe(502);
    // What `mindgw audit query|export --status` prints and /admin/api/audit answers 400, where it said "Invalid input".
    for (const bad of ["6xx", "4xx,5xx", "42", "600", "xx"])
      expect(() => parseInput(auditQuerySchema, { status: bad })).toThrow(
        `status: "${bad}": use a class like 4xx or a code like 429`,
      );
  });

  test("rejects bad parameters and a forged cursor", async () => {
    expect(auditQuerySchema.safeParse({ limit: 1001 }).success).toBe(false);
    expect(auditQuerySchema.safeParse({ status: "6xx" }).success).toBe(false);
    expect(auditQuerySchema.safeParse({ from: "yesterday" }).success).toBe(false);
    expect(auditQuerySchema.safeParse({ colour: "red" }).success).toBe(false);
    expect(queryAudit(store, auditQuerySchema.parse({ cursor: "bm9wZQ" }))).rejects.toThrow(GatewayError);
  });
});
