import { expect, test } from "bun:test";
import { configSchema } from "../config/config-schema.ts";
import { modelPrices, unpricedWarnings } from "./model-prices.ts";

const config = configSchema.parse({
  providers: [
    { name: "anthropic", type: "anthropic", api_key: "k" },
    { name: "lab", type: "openai", preset: "vllm" },
  ],
  models: [
    { name: "claude-*", routes: [{ provider: "anthropic", model: "*" }] },
    {
      name: "sonnet-or-local",
      routes: [
        { provider: "anthropic", model: "claude-sonnet-4-5" },
        { provider: "workers", model: "llama-3.1-8b" },
      ],
    },
    { name: "lab-*", routes: [{ provider: "lab", model: "*" }] },
  ],
});

test("a glob entry's `*` route on a catalogue provider is priced by the name sent: shown so, and no warning", () => {
  expect(modelPrices(config).find((route) => route.model === "claude-*")).toMatchObject({
    upstreamModel: "*",
    source: "catalogue, by the name sent",
    inputPerMtok: null,
    outputPerMtok: null,
    contextWindow: null,
  });
  expect(unpricedWarnings(config).filter((warning) => warning.includes("claude-*"))).toEqual([]);
});

test("an unpriced route is warned of; beside a route the catalogue prices, a price is said to replace it", () => {
  expect(unpricedWarnings(config)).toEqual([
    'warning: model sonnet-or-local (route workers/llama-3.1-8b) has no price: it costs $0 and keys with a budget are refused it; set allow_unpriced: true (the catalogue still prices its other routes), or prices["sonnet-or-local"], which replaces the catalogue\'s prices on every route of it',
    'warning: model lab-* (route lab/*) has no price: it costs $0 and keys with a budget are refused it; set prices["lab-*"] or allow_unpriced: true',
  ]);
});
