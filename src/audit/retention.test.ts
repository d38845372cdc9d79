import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { createSqliteAuditStore } from "../storage/sqlite/sqlite-audit-store.ts";
import { makeRecord } from "./audit-fixture.ts";
import { auditFilterSchema } from "./audit-query-schema.ts";
import { AuditRetention } from "./retention.ts";

const DAY = 86_400_000;
const NOW = 1_800_000_000_000;

test("prunes exactly the rows older than the retention, in small batches, bodies included", async () => {
  const db = new Database(":memory:");
  const store = createSqliteAuditStore({ database: db });
  const ages = Array.from({ length: 200 }, (_, i) => i * 0.25 * DAY); // 0 to 49.75 days old
  await store.insert(
    ages.map((age, i) => makeRecord({ requestId: `r${i}`, startedAt: NOW - age, requestBody: `body ${i}` })),
  );
  const retention = new AuditRetention(store, { retentionMs: 30 * DAY, batchSize: 7, now: () => NOW });
  const expected = ages.filter((age) => age > 30 * DAY).length;
  expect(await retention.runOnce()).toBe(expected);
  const left = db.query<{ request_id: string }, []>("SELECT request_id FROM audit_log").all();
  expect(left.map((r) => r.request_id).sort()).toEqual(
    ages.flatMap((age, i) => (age <= 30 * DAY ? [`r${i}`] : [])).sort(),
  );
  const orphanBodies = db
    .query<{ n: number }, []>(
      "SELECT count(*) AS n FROM audit_bodies WHERE log_id NOT IN (SELECT id FROM audit_log)",
    )
    .get()!.n;
  expect(orphanBodies).toBe(0);
  expect(await retention.runOnce()).toBe(0);
  db.close();
});

test("one pass clears a backlog of any size: it goes on while full batches come back", async () => {
  // 200 batches of 10: twice the 100 batches a pass once stopped at (100,000 rows a minute at the
  // default batch of 1,000, less than ~1,700 requests a second add).
  const db = new Database(":memory:");
  const store = createSqliteAuditStore({ database: db });
  await store.insert(
    Array.from({ length: 2_000 }, (_, i) => makeRecord({ requestId: `old${i}`, startedAt: 0 })),
  );
  await store.insert([makeRecord({ requestId: "new", startedAt: NOW })]);
  const retention = new AuditRetention(store, { retentionMs: DAY, batchSize: 10, now: () => NOW });
  expect(await retention.runOnce()).toBe(2_000);
  expect(db.query<{ request_id: string }, []>("SELECT request_id FROM audit_log").all()).toEqual([
    { request_id: "new" },
  ]);
  db.close();
});

test("stop() ends a pass under way after its current batch", async () => {
  const db = new Database(":memory:");
  const store = createSqliteAuditStore({ database: db });
  await store.insert(Array.from({ length: 50 }, () => makeRecord({ startedAt: 0 })));
  let batches = 0;
  const retention: AuditRetention = new AuditRetention(
    {
      prune: async (before, limit) => {
        if (++batches === 2) retention.stop();
        return store.prune(before, limit);
      },
    },
    { retentionMs: DAY, batchSize: 10, now: () => NOW },
  );
  expect(await retention.runOnce()).toBe(20);
  db.close();
});

test("a pass also deletes the interned values only the pruned rows referred to: user agents, models, callers", async () => {
  const db = new Database(":memory:");
  const store = createSqliteAuditStore({ database: db });
  const strings = () =>
    db
      .query<{ value: string }, []>("SELECT value FROM audit_strings ORDER BY value")
      .all()
      .map((row) => row.value);
  // Each old row its own client's user agent, model name and (JWT) caller, as anyone may send.
  await store.insert(
    Array.from({ length: 300 }, (_, i) =>
      makeRecord({
        startedAt: 0,
        userAgent: `ua-${i}`,
        model: `model-${i}`,
        keyId: null,
        keyName: `sub-${i}`,
      }),
    ),
  );
  await store.insert([makeRecord({ requestId: "new", startedAt: NOW, userAgent: "kept" })]);
  expect(strings()).toHaveLength(300 * 2 + 4);
  const retention = new AuditRetention(store, { retentionMs: DAY, batchSize: 7, now: () => NOW });
  expect(await retention.runOnce()).toBe(300);
  expect(strings()).toEqual(["gpt-4o-mini", "gpt-4o-mini-2024-07-18", "kept", "provider:openai"]);
  expect(db.query<{ n: number }, []>("SELECT count(*) AS n FROM audit_principals").get()!.n).toBe(1);
  // A value deleted is interned anew when a row uses it again, not taken from the writer's cache.
  await store.insert([
    makeRecord({ requestId: "again", startedAt: NOW, userAgent: "ua-0", keyName: "sub-0" }),
  ]);
  const again = (await store.select(auditFilterSchema.parse({ order: "asc" }), null, 10)).map(
    (e) => e.record,
  );
  expect(again.map((r) => [r.requestId, r.userAgent, r.keyName])).toEqual([
    ["new", "kept", "ci"],
    ["again", "ua-0", "sub-0"],
  ]);
  db.close();
});

test("values a row left still refers to are kept, however old the row that interned them", async () => {
  const db = new Database(":memory:");
  const store = createSqliteAuditStore({ database: db });
  await store.insert([
    makeRecord({ startedAt: 0, userAgent: "shared" }),
    makeRecord({ startedAt: 0, userAgent: "gone" }),
  ]);
  // A later batch's row uses "shared" again: its stamp moves to that row.
  await store.insert([makeRecord({ requestId: "new", startedAt: NOW, userAgent: "shared" })]);
  await new AuditRetention(store, { retentionMs: DAY, batchSize: 1, now: () => NOW }).runOnce();
  const values = db
    .query<{ value: string }, []>("SELECT value FROM audit_strings")
    .all()
    .map((r) => r.value);
  expect(values).toContain("shared");
  expect(values).not.toContain("gone");
  db.close();
});
