import { describe, expect, test } from "bun:test";
import { calcPrice } from "@pydantic/genai-prices";
import type { Usage } from "../core/usage.ts";
import { MOST_CACHED_LOOKUPS } from "./bounded-cache.ts";
import { catalogueCost, catalogueEntry, catalogueUsage, pricersHeld } from "./catalogue.ts";

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
  ["gpt-audio", "openai"],
  ["gpt-realtime", "openai"],
  ["amazon.nova-sonic-v1:0", "aws"],
  ["global.anthropic.claude-opus-5-5", "aws"],
  ["grok-4", "x-ai"],
];
const USAGES: Usage[] = [
  { inputTokens: 1234, outputTokens: 567 },
  { inputTokens: 50_000, outputTokens: 2_000, cachedInputTokens: 40_000 },
  { inputTokens: 10_000, outputTokens: 10, cachedInputTokens: 2_000, cacheWriteTokens: 6_000 },
  { inputTokens: 250_000, outputTokens: 1_000, cachedInputTokens: 100_000 }, // past 200k tiers
  { inputTokens: 0, outputTokens: 0 },
  // Billed at rates of their own where the model has them: hour-long cache writes, audio, searches.
  {
    inputTokens: 1_000,
    outputTokens: 500,
    cachedInputTokens: 600,
    cacheWriteTokens: 300,
    cacheWrite1hTokens: 200,
  },
  { inputTokens: 1_000, outputTokens: 500, inputAudioTokens: 1_000, outputAudioTokens: 500 },
  {
    inputTokens: 5_000,
    outputTokens: 90,
    cachedInputTokens: 2_000,
    inputAudioTokens: 2_500,
    outputAudioTokens: 40,
  },
  { inputTokens: 1_000, outputTokens: 500, webSearches: 3 },
  {
    inputTokens: 250_000,
    outputTokens: 1_000,
    cacheWriteTokens: 20_000,
    cacheWrite1hTokens: 5_000,
    webSearches: 2,
  },
  // Parts that cannot all fit their whole (an upstream counting cached audio in both): priced, not refused.
  {
    inputTokens: 1_000,
    outputTokens: 10,
    cachedInputTokens: 800,
    inputAudioTokens: 900,
    outputAudioTokens: 20,
  },
];

describe("catalogue prices", () => {
  test.each(MODELS)("%s on %s: the fast path equals the catalogue's own figure", (model, provider) => {
    for (const usage of USAGES) {
      const expected = calcPrice(catalogueUsage(usage), model, { providerId: provider })?.total_price;
      expect(expected).toBeNumber();
      expect(catalogueCost(model, provider, usage, Date.now())).toBeCloseTo(expected ?? Number.NaN, 12);
    }
  });

  test("what vendors bill at rates of their own is charged so, to the cent", () => {
    const at = Date.now();
    // Anthropic: 100 plain, 100 written for 5 minutes ($3.75/M), 200 for an hour ($6/M), 600 read.
    const hour = {
      inputTokens: 1_000,
      outputTokens: 500,
      cachedInputTokens: 600,
      cacheWriteTokens: 300,
      cacheWrite1hTokens: 200,
    };
    expect(catalogueCost("claude-sonnet-4-5", "anthropic", hour, at)).toBeCloseTo(
      (100 * 3 + 100 * 3.75 + 200 * 6 + 600 * 0.3 + 500 * 15) / 1e6,
      12,
    );
    // Three server-side web searches at $10 a thousand.
    const searched = { inputTokens: 1_000, outputTokens: 500, webSearches: 3 };
    expect(catalogueCost("claude-sonnet-4-5", "anthropic", searched, at)).toBeCloseTo(
      (1_000 * 3 + 500 * 15) / 1e6 + 0.03,
      12,
    );
    // gpt-audio: audio in at $32/M, out at $64/M.
    const audio = { inputTokens: 1_000, outputTokens: 500, inputAudioTokens: 1_000, outputAudioTokens: 500 };
    expect(catalogueCost("gpt-audio", "openai", audio, at)).toBeCloseTo((1_000 * 32 + 500 * 64) / 1e6, 12);
    // gemini-2.5-flash: audio in at $1/M, text at $0.3/M.
    const heard = { inputTokens: 1_000, outputTokens: 500, inputAudioTokens: 600 };
    expect(catalogueCost("gemini-2.5-flash", "google", heard, at)).toBeCloseTo(
      (400 * 0.3 + 600 * 1 + 500 * 2.5) / 1e6,
      12,
    );
  });

  test("a price that changes with the time of day (DeepSeek's off-peak hours) is the one of the answer's moment, all day", () => {
    // deepseek-chat: $0.27/$1.10 from 00:30 to 16:30 UTC, half that the rest of the day.
    const usage = { inputTokens: 1_000_000, outputTokens: 1_000_000, cachedInputTokens: 200_000 };
    const day = Date.parse("2026-06-01T00:00:00Z");
    for (const hour of [20, 12, 1, 17, 0]) {
      const at = day + hour * 3_600_000;
      const expected = calcPrice(catalogueUsage(usage), "deepseek-chat", {
        providerId: "deepseek",
        timestamp: new Date(at),
      })?.total_price;
      expect(expected).toBeCloseTo(
        hour >= 1 && hour < 17 ? 0.8 * 0.27 + 0.2 * 0.07 + 1.1 : 0.8 * 0.135 + 0.2 * 0.035 + 0.55,
        12,
      );
      expect(catalogueCost("deepseek-chat", "deepseek", usage, at)).toBeCloseTo(expected ?? Number.NaN, 12);
    }
  });

  test("Titan Text Embeddings V2 is priced as AWS lists it ($0.02/M), not as the G1 entry the catalogue's match gives it ($0.10/M); G1 keeps its own", () => {
    expect(catalogueEntry("amazon.titan-embed-text-v2:0", "aws")).toMatchObject({
      id: "aws/amazon.titan-embed-text-v2:0",
      contextWindow: 8192,
      inputPerMtok: 0.02,
      outputPerMtok: 0,
    });
    const usage = { inputTokens: 1_000_000, outputTokens: 0 };
    expect(catalogueCost("amazon.titan-embed-text-v2:0", "aws", usage, Date.now())).toBeCloseTo(0.02, 12);
    expect(catalogueEntry("amazon.titan-embed-text-v1", "aws")).toMatchObject({
      id: "aws/amazon.titan-embed-text-v1",
      inputPerMtok: 0.1,
    });
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
