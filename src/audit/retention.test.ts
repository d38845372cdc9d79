import { Database } from "bun:sqlite";
import { expect, test } from "bun:test";
import { createSqliteAuditStore } from "../storage/sqlite/sqlite-audit-store.ts";
import { makeRecord } from "./audit-fixture.ts";
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
