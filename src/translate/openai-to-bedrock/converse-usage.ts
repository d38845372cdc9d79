import type { JsonObject } from "../../core/dialect.ts";
import type { Usage } from "../../core/usage.ts";
import { tokenCountOrZero, usageFromOpenAI } from "../usage-mapping.ts";
import type { ConverseUsage } from "./converse-schema.ts";

/**
 * Converse usage → OpenAI chat usage. Bedrock counts cache reads and writes apart from
 * `inputTokens`; OpenAI's `prompt_tokens` includes them, and so does what the gateway bills. Each
 * figure is read as a count on its own (`tokenCount`): one that is none (`-900`) is 0, never
 * summed into the others.
 */
export function converseUsageToOpenAI(usage: ConverseUsage): JsonObject {
  const cached = tokenCountOrZero(usage.cacheReadInputTokens);
  const prompt = tokenCountOrZero(usage.inputTokens) + cached + tokenCountOrZero(usage.cacheWriteInputTokens);
  const completion = tokenCountOrZero(usage.outputTokens);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: cached },
  };
}

/** What Bedrock billed, in the gateway's terms (as its chat usage reads). */
export const converseBilledUsage = (usage: ConverseUsage): Usage | undefined =>
  usageFromOpenAI({ usage: converseUsageToOpenAI(usage) });
