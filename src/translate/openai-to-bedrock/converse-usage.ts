import type { JsonObject } from "../../core/dialect.ts";
import type { Usage } from "../../core/usage.ts";
import { usageFromOpenAI } from "../usage-mapping.ts";
import type { ConverseUsage } from "./converse-schema.ts";

const num = (value: number | null | undefined) => value ?? 0;

/**
 * Converse usage → OpenAI chat usage. Bedrock counts cache reads and writes apart from
 * `inputTokens`; OpenAI's `prompt_tokens` includes them, and so does what the gateway bills.
 */
export function converseUsageToOpenAI(usage: ConverseUsage): JsonObject {
  const cached = num(usage.cacheReadInputTokens);
  const prompt = num(usage.inputTokens) + cached + num(usage.cacheWriteInputTokens);
  const completion = num(usage.outputTokens);
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
