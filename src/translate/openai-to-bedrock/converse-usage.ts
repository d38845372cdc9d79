import type { JsonObject } from "../../core/dialect.ts";
import type { Usage } from "../../core/usage.ts";
import { tokenCountOrZero, usageFromOpenAI } from "../usage-mapping.ts";
import type { ConverseUsage } from "./converse-schema.ts";

/**
 * Converse usage → OpenAI chat usage. Bedrock counts cache reads and writes beside `inputTokens`,
 * which is the prompt's uncached tokens alone (as Anthropic's `input_tokens` is); OpenAI's
 * `prompt_tokens` includes them, and so does what the gateway bills. Reads are OpenAI's
 * `cached_tokens`; writes, which OpenAI's usage has no field for, are `cache_write_tokens` beside
 * them, as OpenRouter's chat usage says them: the gateway reads them back from there
 * (usage-mapping.ts `chatUsage`), so they are billed at the cache-write rate and an Anthropic caller
 * is told them as `cache_creation_input_tokens`. Each figure is read as a count on its own
 * (`tokenCount`): one that is none (`-900`) is 0, never summed into the others.
 */
export function converseUsageToOpenAI(usage: ConverseUsage): JsonObject {
  const cached = tokenCountOrZero(usage.cacheReadInputTokens);
  const written = tokenCountOrZero(usage.cacheWriteInputTokens);
  const prompt = tokenCountOrZero(usage.inputTokens) + cached + written;
  const completion = tokenCountOrZero(usage.outputTokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached, ...(written > 0 ? { cache_write_tokens: written } : {}) },
  };
}

/** What Bedrock billed, in the gateway's terms (as its chat usage reads). */
export const converseBilledUsage = (usage: ConverseUsage): Usage | undefined =>
  usageFromOpenAI({ usage: converseUsageToOpenAI(usage) });
