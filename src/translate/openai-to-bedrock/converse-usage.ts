import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
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
export function converseUsageToOpenAI(usage: ConverseUsage | JsonObject): JsonObject {
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

/**
 * What Bedrock billed, in the gateway's terms: as its chat usage reads, and of the cache writes
 * those that live an hour (`cacheDetails`, which a chat usage has no field for), billed at the
 * hour-long rate. The bill is read here, not off the chat answer: the provider hands it with its
 * answer (`ProviderReply.usage`) and its stream's meter.
 */
export function converseBilledUsage(usage: ConverseUsage | JsonObject): Usage | undefined {
  const billed = usageFromOpenAI({ usage: converseUsageToOpenAI(usage) });
  const hour = Math.min(hourWrites(usage.cacheDetails), billed?.cacheWriteTokens ?? 0);
  if (billed && hour > 0) billed.cacheWrite1hTokens = hour;
  return billed;
}

/**
 * Of the cache writes, those that live an hour: TokenUsage's `cacheDetails` entries (CacheDetail:
 * `ttl` `5m` or `1h`, `inputTokens` its writes; left out where nothing was written), each count read
 * on its own (`tokenCount`).
 */
function hourWrites(details: unknown): number {
  if (!Array.isArray(details)) return 0;
  let hour = 0;
  for (const detail of details)
    if (isJsonObject(detail) && detail.ttl === "1h") hour += tokenCountOrZero(detail.inputTokens);
  return hour;
}
