import { expect, test } from "bun:test";
import { EMBEDDED_DEFAULTS, parseConfig } from "./load-config.ts";
import { retentionWarnings } from "./retention-warnings.ts";

const withTenants = (retention: string | undefined, tenants: object[]) =>
  parseConfig({ ...EMBEDDED_DEFAULTS, tenants, ...(retention ? { audit: { retention } } : {}) }, {});

test("a budget period longer than audit.retention is warned of, once per kind of period", () => {
  const tenants = [
    { name: "daily", budget: { usd: 1, per: "day" } },
    { name: "monthly", budget: { usd: 10, per: "month" } },
    { name: "free" },
  ];
  // The default 30d: a 31-day month loses its first day's rows on the 31st.
  const month = retentionWarnings(withTenants(undefined, tenants));
  expect(month).toHaveLength(1);
  expect(month[0]).toStartWith(
    "audit.retention (30d) is shorter than the budget period of tenant monthly (a month, up to 31 days): their requests and tokens",
  );
  expect(month[0]).toContain("set audit.retention to 31d or more");
  expect(retentionWarnings(withTenants("31d", tenants))).toEqual([]);
  // Shorter than a day: both kinds, each naming its tenants.
  const both = retentionWarnings(withTenants("4s", tenants));
  expect(both.map((w) => w.slice(0, w.indexOf(":")))).toEqual([
    "audit.retention (4s) is shorter than the budget period of tenant daily (a day)",
    "audit.retention (4s) is shorter than the budget period of tenant monthly (a month, up to 31 days)",
  ]);
  // Without a budget, no period to keep: nothing to say.
  expect(retentionWarnings(withTenants("4s", [{ name: "free" }]))).toEqual([]);
});

test("many tenants are named five at a time, the rest counted", () => {
  const many = Array.from({ length: 8 }, (_, i) => ({ name: `t${i}`, budget: { usd: 1, per: "month" } }));
  expect(retentionWarnings(withTenants("7d", many))[0]).toContain(
    "budget period of tenants t0, t1, t2, t3, t4 and 3 more (a month",
  );
});
