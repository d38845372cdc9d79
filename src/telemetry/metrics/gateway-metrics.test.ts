import { expect, test } from "bun:test";
import { join } from "node:path";
import { parse } from "yaml";
import { GatewayMetrics } from "./gateway-metrics.ts";

// The operator docs name every metric the gateway exports, and the dashboard and alert rules
// use only metrics that exist: a rename shows up here, not on a silent Grafana panel.

const DOCS = join(import.meta.dir, "../../../docs");

async function exported(): Promise<Set<string>> {
  const metrics = new GatewayMetrics(
    {
      inFlight: () => 0,
      breakers: () => [],
      workers: () => [],
      audit: () => ({ queued: 0, written: 0, rejected: 0, dropped: 0 }),
      tenants: () => [],
      // Every optional family too, so the docs are checked against all of them.
      cluster: () => ({ redisUp: true, liveNodes: 1 }),
      configVersion: () => 1,
      shadowShed: () => 0,
    },
    () => "other",
  );
  const text = await metrics.scrape();
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1] ?? ""));
}

/** Label names that look like metric names. */
const LABELS = new Set(["gen_ai_token_type"]);

const referenced = (text: string) =>
  new Set(
    [...text.matchAll(/\b((?:mindgw|gen_ai|process)_[a-z0-9_]+)/g)]
      .map((m) => (m[1] ?? "").replace(/_(bucket|sum|count)$/, ""))
      .filter((name) => !LABELS.has(name)),
  );

test("docs/OBSERVABILITY.md lists exactly the exported metrics", async () => {
  const doc = await Bun.file(join(DOCS, "OBSERVABILITY.md")).text();
  const table = doc.slice(doc.indexOf("| metric | type |"), doc.indexOf("### Scrape config"));
  const listed = new Set([...table.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1] ?? ""));
  expect([...listed].sort()).toEqual([...(await exported())].sort());
});

test("the Grafana dashboard and the alert rules use only exported metrics", async () => {
  const names = await exported();
  const dashboard = await Bun.file(join(DOCS, "observability/mindgw-dashboard.json")).json();
  const alerts = parse(await Bun.file(join(DOCS, "observability/mindgw-alerts.yml")).text()) as {
    groups: { rules: { alert: string; expr: string }[] }[];
  };
  const used = referenced(JSON.stringify(dashboard));
  for (const rule of alerts.groups.flatMap((g) => g.rules))
    for (const name of referenced(rule.expr)) used.add(name);
  expect(used.size).toBeGreaterThan(10);
  expect([...used].filter((name) => !names.has(name))).toEqual([]);
});
