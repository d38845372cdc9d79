import { expect, test } from "bun:test";
import { EMBEDDED_DEFAULTS, parseConfig } from "./load-config.ts";
import { reloadRetentionWarnings, retentionWarnings } from "./retention-warnings.ts";

const withTenants = (retention: string | undefined, tenants: object[]) =>
  parseConfig({ ...EMBEDDED_DEFAULTS, tenants, ...(retention ? { audit: { retention } } : {}) }, {});

/** Each warning up to its first colon: the retention, the tenants and their period. */
const heads = (warnings: string[]) => warnings.map((w) => w.slice(0, w.indexOf(":")));

test("a usage period longer than audit.retention is warned of, once per kind of period", () => {
  const tenants = [
    { name: "daily", budget: { usd: 1, per: "day" } },
    { name: "monthly", budget: { usd: 10, per: "month" } },
    { name: "free" },
  ];
  // 30d: a 31-day month loses its first day's rows on the 31st (the default, 31d, keeps it whole).
  expect(retentionWarnings(withTenants(undefined, tenants))).toEqual([]);
  const month = retentionWarnings(withTenants("30d", tenants));
  expect(month).toHaveLength(1);
  expect(month[0]).toStartWith(
    "audit.retention (30d) is shorter than the usage period of tenants monthly, free (a month, up to 31 days): their requests and tokens",
  );
  expect(month[0]).toContain("set audit.retention to 31d or more");
  expect(retentionWarnings(withTenants("31d", tenants))).toEqual([]);
  // Shorter than a day: both kinds, each naming its tenants.
  expect(heads(retentionWarnings(withTenants("4s", tenants)))).toEqual([
    "audit.retention (4s) is shorter than the usage period of tenant daily (a day)",
    "audit.retention (4s) is shorter than the usage period of tenants monthly, free (a month, up to 31 days)",
  ]);
});

test("a tenant without a budget is counted over the month, as /admin/api/tenants counts it, and warned of so", () => {
  // The auditor's config: neither t1's day nor t2's month is kept whole by 12h.
  const tenants = [{ name: "t1", budget: { usd: 1, per: "day" } }, { name: "t2" }];
  expect(heads(retentionWarnings(withTenants("12h", tenants)))).toEqual([
    "audit.retention (12h) is shorter than the usage period of tenant t1 (a day)",
    "audit.retention (12h) is shorter than the usage period of tenant t2 (a month, up to 31 days)",
  ]);
  expect(heads(retentionWarnings(withTenants("7d", [{ name: "t2" }])))).toEqual([
    "audit.retention (7d) is shorter than the usage period of tenant t2 (a month, up to 31 days)",
  ]);
});

test("a reload warns of what its tenants give that the config it replaces did not, against the retention in force", () => {
  const week = 7 * 86_400_000;
  const before = withTenants(undefined, [{ name: "acme", budget: { usd: 1, per: "day" } }]).tenants;
  const monthly = withTenants(undefined, [{ name: "acme", budget: { usd: 1, per: "month" } }]).tenants;
  // acme moved to a month budget under a 7d retention: said at the reload.
  expect(heads(reloadRetentionWarnings(week, before, monthly))).toEqual([
    "audit.retention (7d) is shorter than the usage period of tenant acme (a month, up to 31 days)",
  ]);
  // The same again (an edit of something else): said once is enough.
  expect(reloadRetentionWarnings(week, monthly, monthly)).toEqual([]);
  // Another tenant joins the month: the warning naming both is said.
  const more = withTenants(undefined, [...monthly, { name: "globex" }]).tenants;
  expect(heads(reloadRetentionWarnings(week, monthly, more))).toEqual([
    "audit.retention (7d) is shorter than the usage period of tenants acme, globex (a month, up to 31 days)",
  ]);
  // Back to the day, which 7d keeps whole: nothing to warn of.
  expect(reloadRetentionWarnings(week, monthly, before)).toEqual([]);
});

test("many tenants are named five at a time, the rest counted", () => {
  const many = Array.from({ length: 8 }, (_, i) => ({ name: `t${i}`, budget: { usd: 1, per: "month" } }));
  expect(retentionWarnings(withTenants("7d", many))[0]).toContain(
    "usage period of tenants t0, t1, t2, t3, t4 and 3 more (a month",
  );
});
