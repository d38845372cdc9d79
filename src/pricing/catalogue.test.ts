import { describe, expect, test } from "bun:test";
import { calcPrice } from "@pydantic/genai-prices";
import { MOST_CACHED_LOOKUPS } from "./bounded-cache.ts";
import { catalogueCost, catalogueUsage, pricersHeld } from "./catalogue.ts";

// The fast path (rates read once, one multiplication per kind of token) must give exactly what
// the catalogue's own calculation gives, for every shape of price it takes.
const MODELS: [model: string, provider: string][] = [
  ["gpt-4o-mini", "openai"],
  ["gpt-4o", "openai"],
  ["o3", "openai"],
  ["claude-sonnet-4-5", "anthropic"],
  ["claude-3-5-haiku-latest", "anthropic"],
  ["anthropic.claude-3-5-sonnet-20240620-v1:0", "aws"],
  ["amazon.nova-lite-v1:0", "aws"],
  ["gemini-2.5-flash", "google"],
  ["gemini-2.5-pro", "google"],
  ["llama-3.1-8b-instant", "groq"],
  ["mistral-large-latest", "mistral"],
  ["deepseek-chat", "deepseek"],
];
const USAGES = [
  { inputTokens: 1234, outputTokens: 567 },
  { inputTokens: 50_000, outputTokens: 2_000, cachedInputTokens: 40_000 },
  { inputTokens: 10_000, outputTokens: 10, cachedInputTokens: 2_000, cacheWriteTokens: 6_000 },
  { inputTokens: 250_000, outputTokens: 1_000, cachedInputTokens: 100_000 }, // past 200k tiers
  { inputTokens: 0, outputTokens: 0 },
];

describe("catalogue prices", () => {
  test.each(MODELS)("%s on %s: the fast path equals the catalogue's own figure", (model, provider) => {
    for (const usage of USAGES) {
      const expected = calcPrice(catalogueUsage(usage), model, { providerId: provider })?.total_price;
      expect(expected).toBeNumber();
      expect(catalogueCost(model, provider, usage, Date.now())).toBeCloseTo(expected ?? Number.NaN, 12);
    }
  });

  test("a model the catalogue does not know has no cost (undefined, not 0)", () => {
    expect(
      catalogueCost("my-finetune-7b", "openai", { inputTokens: 10, outputTokens: 10 }, Date.now()),
    ).toBeUndefined();
  });

  test("the pricers kept for names the catalogue does not know are bounded", () => {
    const usage = { inputTokens: 10, outputTokens: 10 };
    const before = pricersHeld();
    for (let i = 0; i < MOST_CACHED_LOOKUPS + 500; i++)
      expect(catalogueCost(`mistral-${i}-made-up`, "mistral", usage, Date.now())).toBeUndefined();
    expect(pricersHeld() - before).toBeLessThanOrEqual(MOST_CACHED_LOOKUPS);
    expect(catalogueCost("mistral-large-latest", "mistral", usage, Date.now())).toBeNumber();
  });
});
