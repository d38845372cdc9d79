import type { JsonObject } from "../../core/dialect.ts";
import type { GeminiUsage } from "./gemini-schema.ts";

const num = (value: number | null | undefined) => value ?? 0;

/**
 * Gemini usage → OpenAI chat usage. `promptTokenCount` already includes cached tokens, as
 * OpenAI's `prompt_tokens` does; thinking tokens are billed as output, so they count in
 * `completion_tokens` and are shown as `reasoning_tokens`.
 */
export function geminiUsageToOpenAI(usage: GeminiUsage): JsonObject {
  const prompt = num(usage.promptTokenCount);
  const reasoning = num(usage.thoughtsTokenCount);
  const completion = num(usage.candidatesTokenCount) + reasoning;
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: { cached_tokens: num(usage.cachedContentTokenCount) },
    completion_tokens_details: { reasoning_tokens: reasoning },
  };
}

/** Gemini finishReason → OpenAI finish_reason; a turn that called tools ends in `tool_calls`. */
export function finishReasonOfGemini(reason: string | undefined, calledTools: boolean): string {
  switch (reason) {
    case "MAX_TOKENS":
      return "length";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
      return "content_filter";
    default:
      return calledTools ? "tool_calls" : "stop";
  }
}
