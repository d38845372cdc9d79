import { heapStats } from "bun:jsc";
import { expect, test } from "bun:test";
import { join } from "node:path";
import { parse } from "yaml";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import type { ConfiguredLabels } from "./metric-sources.ts";
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

/** A priced request of `tenant` that finished well. */
const priced = (tenant: string | null): AuditRecord => ({
  requestId: "req-1",
  startedAt: 0,
  keyId: null,
  keyName: null,
  tenant,
  role: null,
  frontDoor: "chat",
  model: "m",
  route: "provider:p",
  upstreamModel: "m",
  status: 200,
  errorClass: null,
  stream: false,
  latencyMs: 10,
  ttfbMs: 5,
  inputTokens: 1,
  outputTokens: 1,
  costUsd: 0.5,
  clientIp: null,
  userAgent: null,
});

const tenantSpend = (text: string) =>
  Object.fromEntries(
    [...text.matchAll(/^mindgw_tenant_cost_usd_total\{tenant="([^"]+)"\} (\S+)$/gm)].map((m) => [
      m[1],
      Number(m[2]),
    ]),
  );

test("spend is counted by the tenants of the config in force, a reload's new list included", async () => {
  let tenants = [{ name: "team-a" }];
  const metrics = new GatewayMetrics(quietSources({ tenants: () => tenants }), (model) => model ?? "other");
  for (const tenant of ["team-a", "team-z", null, "default", "team-a"])
    metrics.requestFinished(priced(tenant), undefined);
  expect(tenantSpend(await metrics.scrape())).toEqual({ "team-a": 1, other: 0.5, none: 0.5, default: 0.5 });
  // A reload hands out a new list: a tenant added to it is its own label from then on.
  tenants = [{ name: "team-a" }, { name: "team-z" }];
  metrics.requestFinished(priced("team-z"), undefined);
  metrics.requestFinished(priced("team-a"), undefined);
  expect(tenantSpend(await metrics.scrape())).toEqual({
    "team-a": 1.5,
    other: 0.5,
    none: 0.5,
    default: 0.5,
    "team-z": 0.5,
  });
});

test("each configured tenant's spend this day and month is a gauge, read from the policy's ledger at scrape time", async () => {
  let tenants = [{ name: "team-a", budget: { usd: 10, per: "day" as const } }];
  const ledger = new Map([
    ["team-a/day", 1.5],
    ["team-a/month", 4],
    ["team-z/month", 2],
  ]);
  const metrics = new GatewayMetrics(
    quietSources({
      tenants: () => tenants,
      tenantSpend: (tenant, per) => ledger.get(`${tenant}/${per}`) ?? 0,
    }),
    () => "other",
  );
  const spend = async () =>
    (await metrics.scrape()).split("\n").filter((line) => line.startsWith("mindgw_tenant_spend_usd{"));
  expect(await spend()).toEqual([
    'mindgw_tenant_spend_usd{tenant="team-a",per="day"} 1.5',
    'mindgw_tenant_spend_usd{tenant="team-a",per="month"} 4',
  ]);
  // A reload's tenants from the next scrape on; one it removed is no series any longer.
  tenants = [{ name: "team-z", budget: { usd: 10, per: "day" } }];
  expect(await spend()).toEqual([
    'mindgw_tenant_spend_usd{tenant="team-z",per="day"} 0',
    'mindgw_tenant_spend_usd{tenant="team-z",per="month"} 2',
  ]);
  // A policy that keeps no ledger: no gauge.
  const without = new GatewayMetrics(quietSources({ tenants: () => tenants }), () => "other");
  expect(await without.scrape()).not.toContain("mindgw_tenant_spend_usd");
});

test("every refusal kind and reload result is a series at 0 from the start, so increase() counts the first one (the shipped alerts on them)", async () => {
  const metrics = new GatewayMetrics(quietSources(), () => "other");
  const samples = (await metrics.scrape())
    .split("\n")
    .filter((line) => /^mindgw_(rate_limit_refusals|config_reloads)_total\{/.test(line));
  expect(samples).toEqual([
    'mindgw_rate_limit_refusals_total{kind="requests"} 0',
    'mindgw_rate_limit_refusals_total{kind="tokens"} 0',
    'mindgw_rate_limit_refusals_total{kind="budget"} 0',
    'mindgw_rate_limit_refusals_total{kind="upstream"} 0',
    'mindgw_config_reloads_total{result="applied"} 0',
    'mindgw_config_reloads_total{result="restart_required"} 0',
    'mindgw_config_reloads_total{result="rejected"} 0',
    'mindgw_config_reloads_total{result="restored"} 0',
  ]);
});

test('a draining worker\'s capacity is none of what takes new calls; it and its calls in flight are counted apart (draining="true")', async () => {
  const workers = [
    { inFlight: 1, capacity: 16, draining: true },
    { inFlight: 2, capacity: 4, draining: false },
    { inFlight: 0, capacity: 2 },
  ];
  const metrics = new GatewayMetrics(quietSources({ workers: () => workers }), () => "other");
  const samples = (await metrics.scrape()).split("\n").filter((line) => /^mindgw_worker/.test(line));
  expect(samples).toEqual([
    'mindgw_workers_connected{draining="false",out_of_rotation="false"} 2',
    'mindgw_workers_connected{draining="false",out_of_rotation="true"} 0',
    'mindgw_workers_connected{draining="true",out_of_rotation="false"} 1',
    'mindgw_workers_connected{draining="true",out_of_rotation="true"} 0',
    'mindgw_worker_requests_in_flight{draining="false",out_of_rotation="false"} 2',
    'mindgw_worker_requests_in_flight{draining="false",out_of_rotation="true"} 0',
    'mindgw_worker_requests_in_flight{draining="true",out_of_rotation="false"} 1',
    'mindgw_worker_requests_in_flight{draining="true",out_of_rotation="true"} 0',
    "mindgw_worker_capacity 6",
  ]);
  // No worker at all: every series still there, at 0 (a drain or an ejection mints none).
  workers.length = 0;
  expect(
    (await metrics.scrape()).match(
      /^mindgw_workers_connected\{draining="(true|false)",out_of_rotation="(true|false)"\} 0$/gm,
    ),
  ).toHaveLength(4);
});

test('a worker out of rotation (its model server kept failing) has no capacity for new calls either; still connected, it and its calls counted apart (out_of_rotation="true")', async () => {
  const workers = [
    { inFlight: 1, capacity: 8, ejectedUntil: 1_700_000_030_000 },
    { inFlight: 2, capacity: 4 },
  ];
  const metrics = new GatewayMetrics(quietSources({ workers: () => workers }), () => "other");
  const samples = (await metrics.scrape()).split("\n").filter((line) => /^mindgw_worker/.test(line));
  expect(samples).toEqual([
    'mindgw_workers_connected{draining="false",out_of_rotation="false"} 1',
    'mindgw_workers_connected{draining="false",out_of_rotation="true"} 1',
    'mindgw_workers_connected{draining="true",out_of_rotation="false"} 0',
    'mindgw_workers_connected{draining="true",out_of_rotation="true"} 0',
    'mindgw_worker_requests_in_flight{draining="false",out_of_rotation="false"} 2',
    'mindgw_worker_requests_in_flight{draining="false",out_of_rotation="true"} 1',
    'mindgw_worker_requests_in_flight{draining="true",out_of_rotation="false"} 0',
    'mindgw_worker_requests_in_flight{draining="true",out_of_rotation="true"} 0',
    "mindgw_worker_capacity 4",
  ]);
  // The room for new calls, as the dashboard takes it: the capacity less the calls of the workers
  // it counts, the worker out of rotation's call taken from no room of its own.
  const scraped = await metrics.scrape();
  const sample = (series: string) => Number(scraped.match(new RegExp(`^${series} (\\d+)$`, "m"))?.[1]);
  const capacity = sample("mindgw_worker_capacity");
  const calls = sample('mindgw_worker_requests_in_flight\\{draining="false",out_of_rotation="false"\\}');
  expect(capacity - calls).toBe(2);
  // Every worker out of rotation: connected, none taking calls (what MindgwNoWorkersTakingCalls reads).
  workers[1] = { inFlight: 2, capacity: 4, ejectedUntil: 1_700_000_030_000 };
  expect(
    (await metrics.scrape())
      .split("\n")
      .filter((line) => /^mindgw_workers_connected\{draining="false"/.test(line)),
  ).toEqual([
    'mindgw_workers_connected{draining="false",out_of_rotation="false"} 0',
    'mindgw_workers_connected{draining="false",out_of_rotation="true"} 2',
  ]);
});

test("a reload's new models and tenants have their series at 0 from the reload, before their first request", async () => {
  let configured = { models: [{ model: "m", providers: ["p"] }], tenants: ["team-a"] };
  const metrics = new GatewayMetrics(
    quietSources({ configured: () => configured }),
    (model) => model ?? "other",
  );
  const zeroes = async () =>
    (await metrics.scrape())
      .split("\n")
      .filter((line) => /^mindgw_(tenant_cost_usd_total|requests_total)\{.*(team-b|"n")/.test(line));
  configured = {
    models: [...configured.models, { model: "n", providers: ["q"] }],
    tenants: ["team-a", "team-b"],
  };
  expect(await zeroes()).toEqual([]);
  metrics.configReloaded("applied");
  const seeded = await zeroes();
  expect(seeded).toContain('mindgw_tenant_cost_usd_total{tenant="team-b"} 0');
  expect(seeded).toContain(
    'mindgw_requests_total{front_door="chat",model="n",provider="q",status_class="5xx"} 0',
  );
  expect(seeded).toContain(
    'mindgw_requests_total{front_door="messages",model="n",provider="none",status_class="5xx"} 0',
  );
  expect(seeded).toHaveLength(1 + 6 * 2);
});

test("a thousand configured models' series at 0 take a few MB: their counters, not their histograms (20 MB, when seeding made every label set's cells)", () => {
  const models = Array.from({ length: 1_000 }, (_, i) => ({ model: `model-${i}`, providers: ["a", "b"] }));
  const heap = () => {
    Bun.gc(true);
    return heapStats().heapSize;
  };
  const before = heap();
  const metrics = new GatewayMetrics(
    quietSources({ configured: () => ({ models, tenants: [] }) }),
    () => "other",
  );
  // 18,000 request series (6 front doors by 3 providers a model) and 1,000 spend series: ~2.4 MB.
  expect(heap() - before).toBeLessThan(6 * 1024 * 1024);
  expect(metrics).toBeDefined();
});

test("a scrape reads no config: the shadow routes' series at 0 are of the config at start, then of each reload's", async () => {
  let configured = {
    models: [{ model: "m", providers: ["p"], shadowProvider: "sp" }],
    tenants: [] as string[],
  };
  let reads = 0;
  const metrics = new GatewayMetrics(
    quietSources({
      configured: () => {
        reads++;
        return configured;
      },
      shadow: () => ({ shed: 0, skipped: 0, inFlight: 0, ended: [], spent: [] }),
    }),
    (model) => model ?? "other",
  );
  const shadowSeries = async () =>
    (await metrics.scrape())
      .split("\n")
      .filter((line) => /^mindgw_shadow_(copies|cost_usd)_total\{/.test(line));
  const atStart = await shadowSeries();
  expect(atStart).toContain('mindgw_shadow_copies_total{provider="sp",outcome="upstream_error"} 0');
  expect(atStart).toContain('mindgw_shadow_cost_usd_total{model="m"} 0');
  expect(atStart).toHaveLength(4 + 1);
  await metrics.scrape();
  expect(reads).toBe(1);
  // A reload moves the shadow to another provider and model: the new ones' series take the old ones' place.
  configured = { models: [{ model: "n", providers: ["p"], shadowProvider: "sq" }], tenants: [] };
  metrics.configReloaded("applied");
  const reloaded = await shadowSeries();
  expect(reads).toBe(2);
  expect(reloaded).toContain('mindgw_shadow_copies_total{provider="sq",outcome="ok"} 0');
  expect(reloaded).toContain('mindgw_shadow_cost_usd_total{model="n"} 0');
  expect(reloaded).toHaveLength(4 + 1);
  // As the request series of the model the reload dropped leave.
  expect(await metrics.scrape()).not.toContain('model="m"');
});

test("a reload that removes a model, a route, a provider or a tenant takes their series out of the scrape; what it keeps counts on", async () => {
  let configured: ConfiguredLabels = {
    models: [
      { model: "m", aliases: ["m-latest"], providers: ["p", "q"] },
      { model: "gone", providers: ["p"] },
    ],
    tenants: ["team-a", "team-gone"],
    providers: ["p", "q"],
  };
  const metrics = new GatewayMetrics(
    quietSources({
      configured: () => configured,
      tenants: () => configured.tenants.map((name) => ({ name })),
    }),
    (model) => model ?? "other",
  );
  const served = (model: string, provider: string, tenant: string) =>
    metrics.requestFinished(
      {
        ...priced(tenant),
        model,
        route: `provider:${provider}`,
        status: 200,
        ttfbMs: 5,
        inputTokens: 3,
        outputTokens: 4,
      },
      undefined,
    );
  served("m", "p", "team-a");
  served("m", "q", "team-gone");
  served("m-latest", "p", "team-a");
  served("gone", "p", "team-a");
  metrics.requestFinished({ ...priced(null), model: null, route: null, status: 404 }, undefined);
  metrics.attemptEnded(metrics.attempted("provider:q", undefined), 0.1);
  metrics.attemptStarted(
    { route: "provider:q", vendor: "openai", upstreamModel: "q-1", retry: 1, failover: true },
    "gone",
  );
  const before = await metrics.scrape();
  expect(before).toContain('model="gone"');
  expect(before).toContain('provider="q"');
  expect(before).toContain('tenant="team-gone"');

  // Without the model `gone`, m's route to q, the provider q and the tenant team-gone.
  configured = {
    models: [{ model: "m", aliases: ["m-latest"], providers: ["p"] }],
    tenants: ["team-a"],
    providers: ["p"],
  };
  metrics.configReloaded("applied");
  const after = await metrics.scrape();
  expect(after).not.toContain('model="gone"');
  expect(after).not.toContain('provider="q"');
  expect(after).not.toContain('tenant="team-gone"');
  // Kept: the model by its name and its alias, its route that remains, what no config names.
  expect(after).toContain(
    'mindgw_requests_total{front_door="chat",model="m",provider="p",status_class="2xx"} 1',
  );
  expect(after).toContain(
    'mindgw_requests_total{front_door="chat",model="m-latest",provider="p",status_class="2xx"} 1',
  );
  expect(after).toContain(
    'mindgw_requests_total{front_door="chat",model="other",provider="none",status_class="4xx"} 1',
  );
  expect(after).toContain('mindgw_tenant_cost_usd_total{tenant="team-a"} 1.5');
  // The kept series count on from where they were; the ones it removed, added back, start again.
  served("m", "p", "team-a");
  expect(await metrics.scrape()).toContain(
    'mindgw_requests_total{front_door="chat",model="m",provider="p",status_class="2xx"} 2',
  );
  configured = { ...configured, models: [...configured.models, { model: "gone", providers: ["p"] }] };
  metrics.configReloaded("applied");
  served("gone", "p", "team-a");
  const back = (await metrics.scrape()).split("\n").filter((line) => line.includes('model="gone"'));
  expect(back).toContain(
    'mindgw_requests_total{front_door="chat",model="gone",provider="p",status_class="2xx"} 1',
  );
  expect(back).toContain('mindgw_cost_usd_total{model="gone"} 0.5');
  // Each series once: a cell forgotten is never printed beside its successor.
  expect(new Set(back).size).toBe(back.length);
});

test("a request under way across the reload that removed its model and its provider ends as model and provider `other`: no series of the provider, at that reload or any later one", async () => {
  let configured: ConfiguredLabels = {
    models: [
      { model: "m", providers: ["p"] },
      { model: "gone", providers: ["q"] },
    ],
    tenants: [],
    providers: ["p", "q"],
  };
  const names = () => configured.models.map((entry) => entry.model);
  const metrics = new GatewayMetrics(quietSources({ configured: () => configured }), (model) =>
    model !== null && names().includes(model) ? model : "other",
  );
  const toGone = { ...priced(null), model: "gone", route: "provider:q" };
  metrics.requestFinished(toGone, undefined);
  configured = { models: [{ model: "m", providers: ["p"] }], tenants: [], providers: ["p"] };
  metrics.configReloaded("applied");
  // A request to `gone` under way at the reload: a retry on q, its attempt, its end.
  metrics.attemptStarted(
    { route: "provider:q", vendor: "openai", upstreamModel: "gone", retry: 1, failover: false },
    "gone",
  );
  metrics.attemptEnded(metrics.attempted("provider:q", undefined), 0.1);
  metrics.requestFinished(toGone, undefined);
  const ended = await metrics.scrape();
  expect(ended).not.toContain('provider="q"');
  expect(ended).toContain(
    'mindgw_requests_total{front_door="chat",model="other",provider="other",status_class="2xx"} 1',
  );
  expect(ended).toContain('mindgw_upstream_attempts_total{provider="other",outcome="ok"} 1');
  expect(ended).toContain('mindgw_upstream_retries_total{provider="other"} 1');
  metrics.configReloaded("applied");
  metrics.configReloaded("applied");
  expect(await metrics.scrape()).not.toContain('provider="q"');
});

test("registry.resetMetrics() empties the folded families too, and they count again from there", async () => {
  const metrics = new GatewayMetrics(quietSources(), (model) => model ?? "other");
  metrics.requestFinished({ ...priced("default"), model: "m", status: 200 }, undefined);
  expect(await metrics.scrape()).toContain('mindgw_cost_usd_total{model="m"} 0.5');
  metrics.registry.resetMetrics();
  const reset = await metrics.scrape();
  expect(reset).not.toContain('model="m"');
  metrics.requestFinished({ ...priced("default"), model: "m", status: 200 }, undefined);
  const again = await metrics.scrape();
  expect(again).toContain('mindgw_cost_usd_total{model="m"} 0.5');
  expect(again).toContain(
    'mindgw_requests_total{front_door="chat",model="m",provider="p",status_class="2xx"} 1',
  );
});

test("after registry.resetMetrics(), an applied reload makes the configured series at 0 again, as at start", async () => {
  const configured = { models: [{ model: "m", providers: ["p"] }], tenants: ["t"], providers: ["p"] };
  const metrics = new GatewayMetrics(
    quietSources({ configured: () => configured, tenants: () => [{ name: "t" }] }),
    (model) => model ?? "other",
  );
  // A 5xx of a seeded label set has its cells beside the seeded counters.
  metrics.requestFinished({ ...priced("t"), model: "m", status: 502 }, undefined);
  const seeded = async () =>
    (await metrics.scrape())
      .split("\n")
      .filter((line) => /^mindgw_(requests|cost_usd|tenant_cost_usd)_total\{/.test(line));
  const atStart = (await seeded()).map((line) => line.replace(/ \S+$/, ""));
  // Each front door's 5xx by p and by none, the model's spend, default's and t's spend.
  expect(atStart).toHaveLength(12 + 1 + 2);
  metrics.registry.resetMetrics();
  expect(await seeded()).toEqual([]);
  metrics.configReloaded("applied");
  const reloaded = await seeded();
  expect(reloaded.map((line) => line.replace(/ \S+$/, "")).sort()).toEqual([...atStart].sort());
  expect(reloaded.every((line) => line.endsWith(" 0"))).toBe(true);
});

test("a reload that removes a shadow takes its copies' counts and spend out of the scrape, not its zeros alone", async () => {
  let configured: ConfiguredLabels = {
    models: [
      { model: "m", aliases: ["m-latest"], providers: ["p"], shadowProvider: "sp" },
      { model: "n", providers: ["p"], shadowProvider: "sq" },
    ],
    tenants: [],
  };
  const metrics = new GatewayMetrics(
    quietSources({
      configured: () => configured,
      // What the shadow runner counted since start: it forgets nothing at a reload.
      shadow: () => ({
        shed: 0,
        skipped: 0,
        inFlight: 0,
        ended: [
          { provider: "sp", outcome: "ok", count: 3 },
          { provider: "sq", outcome: "ok", count: 2 },
        ],
        spent: [
          { model: "m", usd: 0.25 },
          { model: "m-latest", usd: 0.5 },
          { model: "n", usd: 0.75 },
        ],
      }),
    }),
    (model) => model ?? "other",
  );
  const shadowSeries = async () =>
    (await metrics.scrape())
      .split("\n")
      .filter((line) => /^mindgw_shadow_(copies|cost_usd)_total\{/.test(line));
  const before = await shadowSeries();
  expect(before).toContain('mindgw_shadow_copies_total{provider="sq",outcome="ok"} 2');
  expect(before).toContain('mindgw_shadow_cost_usd_total{model="n"} 0.75');
  // n stays, without its shadow; m's shadow moves to sq.
  configured = {
    models: [
      { model: "m", aliases: ["m-latest"], providers: ["p"], shadowProvider: "sq" },
      { model: "n", providers: ["p"] },
    ],
    tenants: [],
  };
  metrics.configReloaded("applied");
  const after = await shadowSeries();
  expect(after.filter((line) => line.includes('provider="sp"') || line.includes('model="n"'))).toEqual([]);
  expect(after).toContain('mindgw_shadow_copies_total{provider="sq",outcome="ok"} 2');
  expect(after).toContain('mindgw_shadow_cost_usd_total{model="m"} 0.25');
  expect(after).toContain('mindgw_shadow_cost_usd_total{model="m-latest"} 0.5');
});
