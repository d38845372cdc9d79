import { calcPrice } from "@pydantic/genai-prices";
import type { Usage } from "../core/usage.ts";

/** What the catalogue knows of one upstream model. */
export interface CatalogueEntry {
  /** `provider/model` as the catalogue names them (`aws/regional.anthropic.claude-…`). */
  readonly id: string;
  readonly contextWindow: number | undefined;
  /** USD per million tokens at the base tier (prices may rise with prompt size). */
  readonly inputPerMtok: number;
  readonly outputPerMtok: number;
  readonly cachedInputPerMtok: number | undefined;
}

/** The catalogue's provider for a provider type (and OpenAI-compatible preset). */
export function catalogueProviderId(type: string, preset?: string): string | undefined {
  switch (type) {
    case "openai":
      return preset === undefined ? "openai" : PRESET_PROVIDER[preset];
    case "anthropic":
      return "anthropic";
    case "azure":
      return "azure";
    case "bedrock":
      return "aws";
    case "gemini":
    case "vertex":
      return "google";
    default:
      return undefined;
  }
}

// Self-hosted presets (ollama, vllm, llama.cpp, tgi) run models nobody bills for: no catalogue.
const PRESET_PROVIDER: Record<string, string> = {
  openrouter: "openrouter",
  groq: "groq",
  together: "together",
  mistral: "mistral",
  deepseek: "deepseek",
  xai: "x-ai",
  fireworks: "fireworks",
};

/** The catalogue's prices and context window for a model on a provider; undefined when unknown. */
export function catalogueEntry(model: string, providerId: string): CatalogueEntry | undefined {
  // Priced on a small prompt, so the figures are the base tier (long prompts may cost more).
  const sample = 1000;
  const perMtok = (usd: number) => Number(((usd * 1e6) / sample).toPrecision(12));
  const result = calcPrice({ input_tokens: sample, output_tokens: sample }, model, { providerId });
  if (!result || result.provider.id !== providerId) return undefined;
  const cached = calcPrice({ input_tokens: sample, cache_read_tokens: sample }, model, { providerId });
  return {
    id: `${result.provider.id}/${result.model.id}`,
    contextWindow: result.model.context_window,
    inputPerMtok: perMtok(result.input_price),
    outputPerMtok: perMtok(result.output_price),
    cachedInputPerMtok:
      cached && cached.input_price !== result.input_price ? perMtok(cached.input_price) : undefined,
  };
}

/**
 * The cost of one answer from the catalogue, with every tier and rate it knows (cache reads
 * and writes, prompt-size tiers); undefined when the model is not in it.
 */
export function catalogueCost(model: string, providerId: string, usage: Usage): number | undefined {
  const result = calcPrice(
    {
      input_tokens: usage.inputTokens,
      output_tokens: usage.outputTokens,
      ...(usage.cachedInputTokens ? { cache_read_tokens: usage.cachedInputTokens } : {}),
      ...(usage.cacheWriteTokens ? { cache_write_tokens: usage.cacheWriteTokens } : {}),
    },
    model,
    { providerId },
  );
  return result && result.provider.id === providerId ? result.total_price : undefined;
}

/** The catalogue's context window for a route's upstream model on its provider. */
export function catalogueContextWindow(
  provider: { type: string; preset?: string | undefined },
  model: string,
): number | undefined {
  const providerId = catalogueProviderId(provider.type, provider.preset);
  return providerId ? catalogueEntry(model, providerId)?.contextWindow : undefined;
}
