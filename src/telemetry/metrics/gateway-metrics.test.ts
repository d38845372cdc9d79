import { heapStats } from "bun:jsc";
import { expect, test } from "bun:test";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { priced } from "./testing/priced-record.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// GatewayMetrics' series: tenants' spend, workers' capacity and calls (draining, out of rotation),
// and the series at 0 from the start and from each reload. A reload that removes what a series
// names, and a reset: gateway-metrics-reload.test.ts; the docs, dashboard and alert rules against
// what is exported: gateway-metrics-docs.test.ts.

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
