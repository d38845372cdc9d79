import { expect, test } from "bun:test";
import type { AuditRecord } from "../../audit/audit-record.ts";
import { auditRecord } from "../../audit/testing/audit-record.ts";
import { parseConfig } from "../../config/load-config.ts";
import type { Provider } from "../../providers/provider.ts";
import { RouteTable, type WorkerDirectory } from "../../routing/route-table.ts";
import { fakeProvider } from "../../routing/router-test-kit.ts";
import { GatewayMetrics } from "./gateway-metrics.ts";
import { modelLabeller } from "./labels.ts";
import { quietSources } from "./testing/quiet-sources.ts";

// The `model` label comes from the config, whatever names clients send: a name a glob entry
// matches counts under the glob (`claude-*`), as config.example.yaml's `claude-*` → `model: "*"`
// entry would otherwise let any client mint a series per made-up name.

const config = parseConfig(
  {
    providers: [{ name: "oa", type: "openai" }],
    models: [
      { name: "claude-*", routes: [{ provider: "oa", model: "*" }] },
      { name: "claude-opus-*", routes: [{ provider: "oa", model: "big-model" }] },
      {
        name: "gpt-4o-mini",
        aliases: ["gpt-4o-mini-2024-07-18"],
        routes: [{ provider: "oa", model: "mini" }],
      },
    ],
  },
  {},
);
const workers: WorkerDirectory = {
  provider: fakeProvider("workers") as Provider,
  servesModel: (model) => model === "local-llama",
  models: () => ["local-llama"],
};
const table = new RouteTable(config, new Map([["oa", fakeProvider("oa") as Provider]]), workers);

const finished = (model: string | null): AuditRecord =>
  auditRecord({ model, route: "provider:oa", upstreamModel: model, stream: false });

/** Each `model` label of `family` in the exposition, with its first sample's value. */
const modelsOf = (text: string, family: string) =>
  Object.fromEntries(
    [...text.matchAll(new RegExp(`^${family}\\{[^}]*model="([^"]+)"[^}]*\\} (\\S+)$`, "gm"))].map((m) => [
      m[1],
      Number(m[2]),
    ]),
  );

test("names a glob matches count under the glob, worker-only models under `workers`; configured names and aliases under themselves", async () => {
  const metrics = new GatewayMetrics(
    quietSources(),
    modelLabeller((model) => table.routedAs(model)),
  );
  const madeUp = Array.from({ length: 40 }, (_, i) => `claude-made-up-${i}`);
  const sent = [
    ...madeUp,
    "claude-opus-4",
    "claude-opus-whatever",
    "gpt-4o-mini",
    "gpt-4o-mini-2024-07-18",
    "local-llama",
    "llama-unknown",
    null,
  ];
  for (const model of sent) metrics.requestFinished(finished(model), undefined);
  // A failover is labelled the same way.
  const info = { route: "provider:oa", vendor: "openai", upstreamModel: "u", retry: 0, failover: true };
  for (const model of madeUp.slice(0, 3)) metrics.attemptStarted(info, model);

  const text = await metrics.scrape();
  const expected = {
    "claude-*": 40,
    "claude-opus-*": 2,
    "gpt-4o-mini": 1,
    "gpt-4o-mini-2024-07-18": 1,
    workers: 1,
    other: 2,
  };
  expect(modelsOf(text, "mindgw_requests_total")).toEqual(expected);
  expect(modelsOf(text, "gen_ai_server_request_duration_seconds_count")).toEqual(expected);
  expect(Object.keys(modelsOf(text, "gen_ai_client_token_usage_count")).sort()).toEqual(
    Object.keys(expected).sort(),
  );
  expect(Object.keys(modelsOf(text, "mindgw_cost_usd_total")).sort()).toEqual(Object.keys(expected).sort());
  expect(modelsOf(text, "mindgw_upstream_failovers_total")).toEqual({ "claude-*": 3 });
  expect(text).not.toContain("claude-made-up");
});
