import { expect, test } from "bun:test";
import { parseConfig } from "../../config/load-config.ts";
import { NO_PROBE } from "../../routing/breaker-probe.ts";
import { RouteHealth } from "../../routing/route-health.ts";
import { breakerSeries } from "./breaker-series.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// A `*` route keeps a breaker per client model name (route keys `oa/<name>`), and clients choose
// the names: the gauge shows that route once, as configured, so its series stay bounded by the
// config while each name's breaker still works on its own.

const config = parseConfig(
  {
    providers: [
      { name: "oa", type: "openai" },
      { name: "an", type: "anthropic" },
    ],
    models: [
      {
        name: "claude-*",
        routes: [
          { provider: "oa", model: "*" },
          { provider: "an", model: "claude-fallback" },
        ],
        shadow: { provider: "oa", model: "shadow-model" },
      },
      { name: "gpt-4o-mini", routes: [{ provider: "oa", model: "mini" }] },
    ],
  },
  {},
);

function healthAt() {
  let now = 1_000;
  const health = new RouteHealth({ failures: 1, cooldownMs: 10_000 }, () => now);
  return { health, advance: (ms: number) => (now += ms) };
}

/** The breaker gauge as scraped: `provider/upstream_model` → value. */
async function gauge(health: RouteHealth): Promise<Record<string, number>> {
  const metrics = new GatewayMetrics(
    quietSources({ breakers: () => breakerSeries(health.breakers(), config) }),
    () => "other",
  );
  const text = await metrics.scrape();
  return Object.fromEntries(
    [
      ...text.matchAll(/^mindgw_route_breaker_state\{provider="([^"]+)",upstream_model="([^"]+)"\} (\S+)$/gm),
    ].map((m) => [`${m[1]}/${m[2]}`, Number(m[3])]),
  );
}

test("a `*` route's breakers, one per client name, are one series in the most open state; so are the workers' models", async () => {
  const { health, advance } = healthAt();
  for (let i = 0; i < 30; i++) health.admit(`oa/claude-made-up-${i}`);
  health.admit("oa/mini");
  health.admit("oa/shadow-model");
  health.admit("an/claude-fallback");
  // Workers that came and went, each offering a model of its own name.
  for (let i = 0; i < 30; i++) health.admit(`workers/wm-${i}`);
  expect(await gauge(health)).toEqual({
    "oa/*": 0,
    "oa/mini": 0,
    "oa/shadow-model": 0,
    "an/claude-fallback": 0,
    "workers/*": 0,
  });

  // One name's breaker opens: the others still admit (the breaker stays per name), the series is open.
  health.failed("oa/claude-made-up-3");
  health.failed("oa/mini");
  expect([health.admit("oa/claude-made-up-3"), health.admit("oa/claude-made-up-4")]).toEqual([
    undefined,
    NO_PROBE,
  ]);
  expect(await gauge(health)).toMatchObject({ "oa/*": 2, "oa/mini": 2, "an/claude-fallback": 0 });

  // Its cooldown over and a probe let through, the series is half-open; another name opening
  // makes it open again.
  advance(10_000);
  expect(health.admit("oa/claude-made-up-3")).toBeGreaterThan(NO_PROBE);
  expect(await gauge(health)).toMatchObject({ "oa/*": 1 });
  health.failed("oa/claude-made-up-20");
  expect(await gauge(health)).toMatchObject({ "oa/*": 2 });
});

test("a provider without a `*` route shows every key as it is", () => {
  const series = breakerSeries(
    [
      { key: "an/claude-fallback", state: "open" },
      { key: "an/retired-model", state: "closed" },
    ],
    config,
  );
  expect(series).toEqual([
    { provider: "an", upstreamModel: "claude-fallback", state: "open" },
    { provider: "an", upstreamModel: "retired-model", state: "closed" },
  ]);
});
