import { afterAll, beforeAll, expect, test } from "bun:test";
import { callAs } from "../../testing/recording-gateway.ts";
import { storedGateway } from "../../testing/stored-gateway.ts";
import { waitForValue } from "../../testing/wait-for.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import type { ConfiguredLabels, ShadowCounts } from "./metric-sources.ts";
import { SHADOW_OUTCOMES } from "./shadow-metrics.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// A shadow set on a tenant or an app (in place of a model's own) copies calls as a model's does:
// its copies and their spend are counted in /metrics as `/admin/api/shadow` counts them, apart
// from the clients' requests and their attempts.

/** The shadow routes' upstream: every copy answered, with usage to price. */
let twin: ReturnType<typeof Bun.serve>;

beforeAll(() => {
  twin = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    fetch: () =>
      Response.json({
        id: "c1",
        object: "chat.completion",
        created: 7,
        model: "candidate",
        choices: [{ index: 0, message: { role: "assistant", content: "copied" }, finish_reason: "stop" }],
        usage: { prompt_tokens: 3, completion_tokens: 2, total_tokens: 5 },
      }),
  });
});

const twinAt = (name: string) => ({ name, type: "openai", base_url: `http://127.0.0.1:${twin.port}/v1` });
const gw = storedGateway(() => ({
  providers: [{ name: "demo", type: "mock" }, twinAt("tenant-twin"), twinAt("app-twin")],
  models: [
    { name: "m", routes: [{ provider: "demo", model: "m" }] },
    { name: "n", routes: [{ provider: "demo", model: "n" }] },
  ],
  tenants: [{ name: "team", shadow: { provider: "tenant-twin", model: "candidate", sample: 1 } }],
  apps: [
    { name: "root", frontdoor: "openai", path: "/root" },
    {
      name: "mirrored",
      frontdoor: "openai",
      path: "/mirrored",
      shadow: { provider: "app-twin", model: "candidate", sample: 1 },
    },
  ],
  prices: { "*": { input_per_mtok: 1_000_000, output_per_mtok: 1_000_000 } },
}));
// After the gateway's stop, which the copies' upstream outlives.
afterAll(() => twin.stop(true));

const call = (method: string, path: string, key: string, body?: object) =>
  callAs(gw.gateway, key, method, path, body);

const chat = (model: string) => ({ model, messages: [{ role: "user", content: "copy me" }] });

test("a tenant's and an app's shadow copies and their spend are in /metrics, as /admin/api/shadow counts them", async () => {
  const created = await call("POST", "/admin/api/keys", gw.adminKey, { name: "member", tenant: "team" });
  const { key } = (await created.json()) as { key: string };
  expect((await call("POST", "/root/v1/chat/completions", key, chat("m"))).status).toBe(200);
  expect((await call("POST", "/mirrored/v1/chat/completions", gw.adminKey, chat("n"))).status).toBe(200);
  const counts = await waitForValue("both copies over", async () => {
    const { counts } = (await (await call("GET", "/admin/api/shadow", gw.adminKey)).json()) as {
      counts: ShadowCounts;
    };
    return counts.ended.length === 2 && counts.inFlight === 0 ? counts : undefined;
  });
  expect(counts.ended.map((c) => [c.provider, c.outcome, c.count]).sort()).toEqual([
    ["app-twin", "ok", 1],
    ["tenant-twin", "ok", 1],
  ]);
  expect(counts.spent.map((s) => s.model).sort()).toEqual(["m", "n"]);
  const text = await (await call("GET", "/metrics", gw.adminKey)).text();
  const printed = (family: string) => text.split("\n").filter((line) => line.startsWith(`${family}{`));
  expect(printed("mindgw_shadow_copies_total")).toEqual(
    expect.arrayContaining(
      counts.ended.map(
        (c) => `mindgw_shadow_copies_total{provider="${c.provider}",outcome="${c.outcome}"} ${c.count}`,
      ),
    ),
  );
  // The copies are no client's requests, nor attempts of theirs: the two calls alone are.
  expect(
    printed("mindgw_requests_total").filter((line) => !line.endsWith(" 0") && !line.includes("admin")),
  ).toEqual([
    'mindgw_requests_total{front_door="chat",model="m",provider="demo",status_class="2xx"} 1',
    'mindgw_requests_total{front_door="chat",model="n",provider="demo",status_class="2xx"} 1',
  ]);
  expect(printed("mindgw_upstream_attempts_total")).toEqual([
    'mindgw_upstream_attempts_total{provider="demo",outcome="ok"} 2',
  ]);
  expect(printed("mindgw_shadow_cost_usd_total").sort()).toEqual(
    counts.spent.map((s) => `mindgw_shadow_cost_usd_total{model="${s.model}"} ${s.usd}`).sort(),
  );
});

test("a tenant's or an app's shadow provider has its copies' series at 0 from the start; a reload that removes the shadow takes its counts and spend out", async () => {
  const tenants: string[] = [];
  let configured: ConfiguredLabels = {
    models: [{ model: "m", providers: ["p"] }],
    tenants,
    shadowProviders: ["tp"],
  };
  let ended: ShadowCounts["ended"] = [];
  const metrics = new GatewayMetrics(
    quietSources({
      configured: () => configured,
      shadow: () => ({
        shed: 0,
        skipped: 0,
        inFlight: 0,
        ended,
        spent: ended.length ? [{ model: "m", usd: 0.5 }] : [],
      }),
    }),
    (model) => model ?? "other",
  );
  const shadowSeries = async () =>
    (await metrics.scrape())
      .split("\n")
      .filter((line) => /^mindgw_shadow_(copies|cost_usd)_total\{/.test(line));
  const atZero = SHADOW_OUTCOMES.map((o) => `mindgw_shadow_copies_total{provider="tp",outcome="${o}"} 0`);
  expect(await shadowSeries()).toEqual(atZero);
  ended = [{ provider: "tp", outcome: "ok", count: 2 }];
  expect(await shadowSeries()).toEqual([
    'mindgw_shadow_copies_total{provider="tp",outcome="ok"} 2',
    ...atZero.slice(1),
    'mindgw_shadow_cost_usd_total{model="m"} 0.5',
  ]);
  configured = { models: [{ model: "m", providers: ["p"] }], tenants };
  metrics.configReloaded("applied");
  expect(await shadowSeries()).toEqual([]);
});
