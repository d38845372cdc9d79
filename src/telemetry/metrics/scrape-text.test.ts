import { expect, test } from "bun:test";
import { auditRecord } from "../../audit/testing/audit-record.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// A scrape prints the folded families' text itself, each series from its cell and its labels' text
// kept from its first scrape: what it prints must stay byte for byte what prom-client prints from
// the same series (`registry.metrics()`, what a scrape returned before), scrape after scrape,
// through traffic and a reload.

/** The text less the process's memory, which moves between any two readings. */
const steady = (text: string) => text.replace(/^process_\w+ \d+$/gm, "");

const upstreamError = new GatewayError({ status: 502, code: "upstream_error", message: "bad gateway" });

test("a scrape of 1,000 configured models is byte for byte prom-client's text, before and after traffic, with nothing new and after a reload", async () => {
  // A model label with every character the format escapes, as a config's name may hold them.
  const odd = 'we"ird\\model\nx';
  let configured = {
    models: [
      ...Array.from({ length: 1_000 }, (_, i) => ({ model: `model-${i}`, providers: ["a", "b"] })),
      { model: odd, providers: ["a"], shadowProvider: "s" },
    ],
    tenants: ["team-a"],
  };
  const metrics = new GatewayMetrics(
    quietSources({
      configured: () => configured,
      tenants: () => [{ name: "team-a", budget: { usd: 5, per: "day" } }],
      shadow: () => ({
        shed: 1,
        skipped: 0,
        inFlight: 0,
        ended: [{ provider: "s", outcome: "ok", count: 2 }],
        spent: [],
      }),
    }),
    (model) => model ?? "other",
  );
  const scrapes: string[] = [];
  const sameAsPromClient = async () => {
    const text = steady(await metrics.scrape());
    expect(text).toBe(steady(await metrics.registry.metrics()));
    scrapes.push(text);
  };
  await sameAsPromClient();
  expect(scrapes[0]).toContain(
    'mindgw_requests_total{front_door="chat",model="model-999",provider="b",status_class="5xx"} 0',
  );

  metrics.requestFinished(
    auditRecord({ model: "model-1", route: "provider:a", tenant: "team-a" }),
    undefined,
  );
  metrics.requestFinished(auditRecord({ model: odd, route: "provider:a", costUsd: 0.25 }), undefined);
  metrics.requestFinished(
    auditRecord({ model: "model-2", route: "provider:b", status: 502, ttfbMs: null }),
    upstreamError,
  );
  metrics.requestFinished(
    auditRecord({ model: "model-3", route: null, status: 429, ttfbMs: null }),
    undefined,
  );
  metrics.attemptStarted(
    { route: "provider:b", vendor: "openai", upstreamModel: "up", retry: 1, failover: true },
    "model-2",
  );
  metrics.attemptEnded(metrics.attempted("provider:b", upstreamError), 0.3);
  metrics.attemptEnded(metrics.attempted("provider:a", undefined), 0.02);
  metrics.auditFlushed(0.004);
  await sameAsPromClient();
  // Nothing new between two scrapes: the text kept is the text prom-client prints.
  await sameAsPromClient();
  expect(scrapes[2]).toBe(scrapes[1] ?? "");

  // One series of each kind moves; a reload adds a model.
  metrics.requestFinished(
    auditRecord({ model: "model-1", route: "provider:a", latencyMs: 9_000 }),
    undefined,
  );
  metrics.attemptEnded(metrics.attempted("provider:a", undefined), 0.5);
  configured = { ...configured, models: [...configured.models, { model: "model-new", providers: ["c"] }] };
  metrics.configReloaded("applied");
  await sameAsPromClient();
  expect(scrapes[3]).toContain(
    'mindgw_requests_total{front_door="count_tokens",model="model-new",provider="c",status_class="5xx"} 0',
  );
  expect(scrapes[3]).toContain('model="we\\"ird\\\\model\\nx"');
  expect(scrapes[3]).not.toBe(scrapes[2]);
});
