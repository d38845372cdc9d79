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

test("a pass stops after maxBatchesPerRun; the next pass continues", async () => {
  const db = new Database(":memory:");
  const store = createSqliteAuditStore({ database: db });
  await store.insert(Array.from({ length: 50 }, () => makeRecord({ startedAt: 0 })));
  const retention = new AuditRetention(store, {
    retentionMs: DAY,
    batchSize: 10,
    maxBatchesPerRun: 2,
    now: () => NOW,
  });
  expect(await retention.runOnce()).toBe(20);
  expect(await retention.runOnce()).toBe(20);
  expect(await retention.runOnce()).toBe(10);
  db.close();
});
