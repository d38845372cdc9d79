import { expect, test } from "bun:test";
import { GatewayMetrics } from "./gateway-metrics.ts";
import type { ConfiguredLabels } from "./metric-sources.ts";
import { priced } from "./testing/priced-record.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// A reload that removes a model, route, provider, tenant or shadow takes their series out of the
// scrape (a request under way across it ends as `other`); registry.resetMetrics() and what counts
// after it.

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
