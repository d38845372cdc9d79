import { expect, test } from "bun:test";
import { join } from "node:path";
import { parse } from "yaml";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// The operator docs name every metric the gateway exports, and the dashboard and alert rules
// use only metrics that exist: a rename shows up here, not on a silent Grafana panel.

const DOCS = join(import.meta.dir, "../../../docs");

async function exported(): Promise<Set<string>> {
  const metrics = new GatewayMetrics(
    // Every optional family too, so the docs are checked against all of them.
    quietSources({
      cluster: () => ({ redis: "up", liveNodes: 1 }),
      configVersion: () => 1,
      shadow: () => ({ shed: 0, skipped: 0, inFlight: 0, ended: [], spent: [] }),
      tenantSpend: () => 0,
      traceSpansDropped: () => 0,
      eventSinkDrops: () => [{ sink: "events.webhooks[0]", reason: "rejected", count: 0 }],
    }),
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
  // A list, not a set: a metric given two rows (two meanings to choose from) fails too.
  const listed = [...table.matchAll(/^\| `([a-z0-9_]+)` \|/gm)].map((m) => m[1] ?? "");
  expect(listed.sort()).toEqual([...(await exported())].sort());
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

test("the dashboard's and alert rules' request rates and durations count model calls only", async () => {
  // The admin event stream (`mindgw tail`) is one request open for minutes, the admin API's calls
  // are not model traffic: a p99 or an error rate over every front door would be theirs.
  const dashboard = (await Bun.file(join(DOCS, "observability/mindgw-dashboard.json")).json()) as {
    panels: { targets?: { expr: string }[] }[];
  };
  const alerts = parse(await Bun.file(join(DOCS, "observability/mindgw-alerts.yml")).text()) as {
    groups: { rules: { expr: string }[] }[];
  };
  const exprs = [
    ...dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((t) => t.expr)),
    ...alerts.groups.flatMap((g) => g.rules.map((r) => r.expr)),
  ];
  const perRequest = /\b(mindgw_requests_total|gen_ai_server_request_duration_seconds_bucket)\{?([^}[]*)/g;
  const unfiltered = exprs.flatMap((expr) =>
    [...expr.matchAll(perRequest)].filter((m) => !(m[2] ?? "").includes("front_door=~")).map(() => expr),
  );
  expect(exprs.some((expr) => expr.includes("gen_ai_server_request_duration_seconds_bucket"))).toBe(true);
  expect(unfiltered).toEqual([]);
});

test("the dashboard and alert rules count an earlier release's workers, whose gauges carry no draining or out_of_rotation label, as taking calls, and no worker out of rotation", async () => {
  // `draining="false"` selects no series of such a node: during a rolling upgrade its workers would
  // vanish from MindgwNoWorkers and from the room left for new calls. `draining!="true"` keeps them.
  const texts = [
    await Bun.file(join(DOCS, "observability/mindgw-dashboard.json")).text(),
    await Bun.file(join(DOCS, "observability/mindgw-alerts.yml")).text(),
  ];
  expect(texts.join("\n")).toContain('draining!=\\"true\\"');
  expect(texts.flatMap((text) => text.match(/(draining|out_of_rotation)=\\?"false/g) ?? [])).toEqual([]);
  // A worker out of rotation takes no new call either: every one out of rotation is none taking calls.
  const alerts = parse(texts[1] ?? "") as { groups: { rules: { alert: string; expr: string }[] }[] };
  const noWorkers = alerts.groups.flatMap((g) => g.rules).find((rule) => rule.alert === "MindgwNoWorkers");
  expect(noWorkers?.expr).toContain('mindgw_workers_connected{draining!="true",out_of_rotation!="true"}');
});

test("the dashboard's room for new calls is the expression the promtool unit tests evaluate with a draining worker and one out of rotation", async () => {
  const dashboard = JSON.parse(await Bun.file(join(DOCS, "observability/mindgw-dashboard.json")).text()) as {
    panels: { targets?: { expr: string; legendFormat?: string }[] }[];
  };
  const room = dashboard.panels
    .flatMap((panel) => panel.targets ?? [])
    .find((target) => target.legendFormat === "free for new calls");
  const tests = await Bun.file(join(DOCS, "observability/mindgw-alerts.test.yml")).text();
  expect(room?.expr).toBeDefined();
  expect(tests).toContain(`- expr: ${room?.expr}\n`);
});

test("the alert rules pass their promtool unit tests (mindgw-alerts.test.yml), a rolling upgrade's unlabelled workers included", () => {
  const run = Bun.spawnSync([
    "promtool",
    "test",
    "rules",
    join(DOCS, "observability/mindgw-alerts.test.yml"),
  ]);
  expect(`${run.stdout}${run.stderr}`).toContain("SUCCESS");
  expect(run.exitCode).toBe(0);
});
