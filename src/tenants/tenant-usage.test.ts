import { afterAll, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import { tenantsSchema } from "../config/tenant-config.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import type { AuditStore } from "../storage/storage.ts";
import { tenantReports } from "./tenant-usage.ts";

// 15 March 2026, noon UTC: "today" and "this month" are different periods.
const NOW = Date.UTC(2026, 2, 15, 12);
const HOUR = 3_600_000;
const storage = openSqliteStorage(":memory:");
afterAll(() => storage.close());

const tenants = tenantsSchema.parse([
  { name: "daily", budget: { usd: 1, per: "day" } },
  { name: "monthly", budget: { usd: 10, per: "month" } },
  { name: "unbudgeted" },
  { name: "idle" },
]);

await storage.audit.insert(
  ["daily", "monthly", "unbudgeted"].flatMap((tenant) => [
    // Today, earlier this month, last month, and the admin API's own call today.
    makeRecord({ tenant, startedAt: NOW - HOUR, costUsd: 0.25 }),
    makeRecord({ tenant, startedAt: NOW - 5 * 24 * HOUR, costUsd: 0.5 }),
    makeRecord({ tenant, startedAt: Date.UTC(2026, 1, 27), costUsd: 4 }),
    makeRecord({ tenant, startedAt: NOW - HOUR, frontDoor: "admin", costUsd: 0 }),
  ]),
);

const byName = async (store: AuditStore, scope: string | null = null) =>
  Object.fromEntries(
    (
      await tenantReports(
        tenants,
        store,
        async (names) => new Map(names.map((name) => [name, 2])),
        scope,
        NOW,
      )
    ).map((r) => [r.name, [r.usage.requests, r.usage.costUsd, r.remainingUsd]]),
  );

const expected = {
  daily: [1, 0.25, 0.75],
  monthly: [2, 0.75, 9.25],
  unbudgeted: [2, 0.75, null],
  idle: [0, 0, null],
};

test("each tenant's usage is over its own budget period (today, or this month), the admin API's calls left out", async () => {
  expect(await byName(storage.audit)).toEqual(expected);
  expect(await byName(storage.audit, "daily")).toEqual({ daily: expected.daily });
});

test("a store without tenantUsage gives the same usage, from its pages", async () => {
  const { tenantUsage: _aggregate, ...paged } = storage.audit;
  expect(await byName(paged)).toEqual(expected);
});
