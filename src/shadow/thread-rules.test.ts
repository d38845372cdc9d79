import { expect, test } from "bun:test";
import { parseConfig } from "../config/load-config.ts";
import { pricesAny } from "../pricing/catalogue-on-demand.ts";
import { PriceBook } from "../pricing/price-book.ts";
import { threadRulesOf } from "./thread-rules.ts";

/** A primary on OpenAI (priced by the catalogue) shadowed to `candidate`. */
const config = (candidate: Record<string, unknown>) =>
  parseConfig(
    {
      providers: [
        { name: "oa", type: "openai", api_key: "sk-x" },
        { name: "candidate", ...candidate },
      ],
      models: [
        {
          name: "chat",
          routes: [{ provider: "oa", model: "gpt-4o-mini" }],
          shadow: { provider: "candidate", model: "gpt-4o", sample: 1 },
        },
      ],
    },
    {},
  );

test("a shadow to a self-hosted server beside a primary on OpenAI: the thread's rules name no provider the catalogue prices, so it never loads it", () => {
  const rules = threadRulesOf(config({ type: "openai", preset: "vllm", base_url: "http://127.0.0.1:1/v1" }));
  expect(rules.prices.providers.map((provider) => provider.name)).toEqual(["candidate"]);
  expect(pricesAny(rules.prices.providers)).toBe(false);
});

test("a shadow to a provider the catalogue prices: the thread's rules price its copies as the whole config does", () => {
  const whole = config({ type: "openai", api_key: "sk-y", base_url: "http://127.0.0.1:1/v1" });
  const rules = threadRulesOf(whole);
  expect(pricesAny(rules.prices.providers)).toBe(true);
  const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
  const served = { route: "provider:candidate", upstreamModel: "gpt-4o" };
  const cost = new PriceBook(rules.prices).cost("gpt-4o", usage, served, Date.now());
  expect(cost).toBeGreaterThan(0);
  expect(cost).toBe(new PriceBook(whole).cost("gpt-4o", usage, served, Date.now()));
});

/** A self-hosted primary and no model shadow; `owner` (a tenant or an app) shadows to OpenAI. */
const shadowedBy = (owner: { tenants?: unknown[]; apps?: unknown[] }) =>
  parseConfig(
    {
      providers: [
        { name: "local", type: "openai", preset: "vllm", base_url: "http://127.0.0.1:1/v1" },
        { name: "oa", type: "openai", api_key: "sk-x" },
      ],
      models: [{ name: "chat", routes: [{ provider: "local", model: "llama" }] }],
      ...owner,
    },
    {},
  );
const openaiShadow = { provider: "oa", model: "gpt-4o", sample: 1 };

for (const [who, whole] of [
  ["a tenant's shadow (tenants[].shadow)", shadowedBy({ tenants: [{ name: "acme", shadow: openaiShadow }] })],
  [
    "an app's shadow (apps[].shadow)",
    shadowedBy({ apps: [{ name: "lab", frontdoor: "openai", path: "/lab", shadow: openaiShadow }] }),
  ],
] as const)
  test(`${who}, which applies in place of the model's: the thread's rules name its provider and price its copies as the whole config does`, () => {
    const rules = threadRulesOf(whole);
    expect(rules.prices.providers.map((provider) => provider.name)).toEqual(["oa"]);
    expect(pricesAny(rules.prices.providers)).toBe(true);
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000 };
    const served = { route: "provider:oa", upstreamModel: "gpt-4o" };
    const cost = new PriceBook(rules.prices).cost("gpt-4o", usage, served, Date.now());
    expect(cost).toBeGreaterThan(0);
    expect(cost).toBe(new PriceBook(whole).cost("gpt-4o", usage, served, Date.now()));
  });
