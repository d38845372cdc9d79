import { afterAll, expect, test } from "bun:test";
import { makeRecord } from "../audit/audit-fixture.ts";
import { tenantSpendSubject } from "../auth/limit-scope.ts";
import { tenantsSchema } from "../config/tenant-config.ts";
import { spendTotals } from "../storage/spend-totals.ts";
import { openSqliteStorage } from "../storage/sqlite/sqlite-storage.ts";
import type { AuditStore, SpendStore } from "../storage/storage.ts";
import { sharedUsage, type UsageRead } from "./shared-usage.ts";
import { storeUsage, type TenantReads, tenantReports } from "./tenant-usage.ts";

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
  { name: "pruned", budget: { usd: 5, per: "month" } },
]);

await storage.audit.insert(
  ["daily", "monthly", "unbudgeted", "pruned"].flatMap((tenant) => [
    // Today, earlier this month, last month, and the admin API's own call today.
    makeRecord({ tenant, startedAt: NOW - HOUR, costUsd: 0.25 }),
    makeRecord({ tenant, startedAt: NOW - 5 * 24 * HOUR, costUsd: 0.5 }),
    makeRecord({ tenant, startedAt: Date.UTC(2026, 1, 27), costUsd: 4 }),
    makeRecord({ tenant, startedAt: NOW - HOUR, frontDoor: "admin", costUsd: 0 }),
  ]),
);
// What the limits charged each tenant's budget period (auth/limit-scope.ts), this one and the last:
// what the rows say, but for "pruned", charged $3 more this month in rows retention has deleted.
const charged: [string, "day" | "month", number, number][] = [
  ["daily", "day", NOW, 0.25],
  ["daily", "day", NOW - 5 * 24 * HOUR, 0.5],
  ["monthly", "month", NOW, 0.75],
  ["monthly", "month", Date.UTC(2026, 1, 27), 4],
  ["unbudgeted", "month", NOW, 0.75],
  ["pruned", "month", NOW, 3.75],
];
await storage.spend.add(new Map(charged.map(([t, per, at, usd]) => [tenantSpendSubject(t, per, at), usd])));

/** A report's reads: usage from `audit`, spend from `spend`, two keys a tenant. */
const readsOf = (usage: UsageRead, spend: SpendStore = storage.spend): TenantReads => ({
  usage,
  countKeys: async (names) => new Map(names.map((name) => [name, 2])),
  spent: (subjects) => spendTotals(spend, subjects),
});

const byName = async (store: AuditStore, scope: string | null = null, spend?: SpendStore) =>
  Object.fromEntries(
    (await tenantReports(tenants, readsOf(storeUsage(store), spend), scope, NOW)).map((r) => [
      r.name,
      [r.usage.requests, r.usage.costUsd, r.remainingUsd],
    ]),
  );

const expected = {
  daily: [1, 0.25, 0.75],
  monthly: [2, 0.75, 9.25],
  unbudgeted: [2, 0.75, null],
  idle: [0, 0, null],
  pruned: [2, 3.75, 1.25],
};

test("each tenant's usage is over its own budget period (today, or this month), the admin API's calls left out", async () => {
  expect(await byName(storage.audit)).toEqual(expected);
  expect(await byName(storage.audit, "daily")).toEqual({ daily: expected.daily });
});

test("spend and remaining are the ledger's, which the budget is enforced against, whatever rows retention left", async () => {
  // "pruned" was charged $3.75 this month; its rows still kept say $0.75 of it.
  const [pruned] = await tenantReports(tenants, readsOf(storeUsage(storage.audit)), "pruned", NOW);
  expect(pruned?.usage).toMatchObject({ requests: 2, costUsd: 3.75 });
  expect(pruned?.remainingUsd).toBe(1.25);
  // A store without the batched read gives the same, a total at a time.
  const { totals: _batched, ...single } = storage.spend;
  expect(await byName(storage.audit, null, single)).toEqual(expected);
});

test("without a spend ledger (an embedder's own Policy keeps none), spend and remaining are the rows'", async () => {
  const { spent: _ledger, ...rowsOnly } = readsOf(storeUsage(storage.audit));
  const reports = await tenantReports(tenants, rowsOnly, null, NOW);
  expect(Object.fromEntries(reports.map((r) => [r.name, [r.usage.costUsd, r.remainingUsd]]))).toEqual({
    daily: [0.25, 0.75],
    monthly: [0.75, 9.25],
    unbudgeted: [0.75, null],
    idle: [0, null],
    pruned: [0.75, 4.25],
  });
});

test("spend and remaining are shown without a sum's float noise", async () => {
  // Eleven answers of $0.10 each, summed as the ledger sums them: 1.0999999999999999.
  let summed = 0;
  for (let i = 0; i < 11; i++) summed += 0.1;
  const noisy: TenantReads = {
    ...readsOf(storeUsage(storage.audit)),
    spent: async (subjects) => new Map(subjects.map((subject) => [subject, summed])),
  };
  const [pruned] = await tenantReports(tenants, noisy, "pruned", NOW);
  expect(pruned?.usage.costUsd).toBe(1.1);
  expect(pruned?.remainingUsd).toBe(3.9);
});

test("a store without tenantUsage gives the same usage, from its pages", async () => {
  const { tenantUsage: _aggregate, ...paged } = storage.audit;
  expect(await byName(paged)).toEqual(expected);
});

/** The audit store, counting its usage scans. */
function counted() {
  const scans: string[][] = [];
  const read = storeUsage({
    ...storage.audit,
    tenantUsage: (names, from, to) => {
      scans.push([...names]);
      return storage.audit.tenantUsage?.(names, from, to) ?? Promise.resolve(new Map());
    },
  });
  return { read, scans };
}

test("concurrent reports of the same tenants share one scan of the audit log", async () => {
  const { read, scans } = counted();
  const usage = sharedUsage(read, { freshMs: 5_000, now: () => NOW });
  const reports = await Promise.all(
    Array.from({ length: 8 }, () => tenantReports(tenants, readsOf(usage), null, NOW)),
  );
  // One scan per kind of period (today, this month), however many callers.
  expect(scans).toEqual([["daily"], ["monthly", "unbudgeted", "idle", "pruned"]]);
  for (const report of reports) expect(report).toEqual(reports[0] ?? []);
});

test("a report within the fresh window reuses the last scan; after it, or for other tenants, it scans again", async () => {
  const { read, scans } = counted();
  let clock = NOW;
  const usage = sharedUsage(read, { freshMs: 5_000, now: () => clock });
  const report = (scope: string | null) => tenantReports(tenants, readsOf(usage), scope, NOW);
  const first = await report(null);
  clock += 4_999;
  expect(await report(null)).toEqual(first);
  expect(scans).toHaveLength(2);
  // A member of one tenant asks for its own: another tenant set, its own scan, then kept too.
  await report("monthly");
  await report("monthly");
  expect(scans.slice(2)).toEqual([["monthly"]]);
  clock += 1;
  await report(null);
  expect(scans.slice(3)).toEqual([["daily"], ["monthly", "unbudgeted", "idle", "pruned"]]);
});

test("a failed scan is not kept: the next report reads again", async () => {
  let calls = 0;
  const usage = sharedUsage(
    async () => {
      calls += 1;
      if (calls === 1) throw new Error("database is locked");
      return new Map();
    },
    { freshMs: 5_000, now: () => NOW },
  );
  await expect(usage(["a"], 0, 1)).rejects.toThrow("database is locked");
  expect(await usage(["a"], 0, 1)).toEqual(new Map());
  expect(calls).toBe(2);
});
