import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { Usage } from "../../core/usage.ts";
import { ofPrompt, tokenCountOrZero, usageFromOpenAI } from "../usage-mapping.ts";
import type { GeminiUsage } from "./gemini-schema.ts";

/**
 * Gemini usage → OpenAI chat usage. `promptTokenCount` already includes cached tokens, as
 * OpenAI's `prompt_tokens` does. What a tool put before the model (Search grounding, code
 * execution results) Google counts apart, in `toolUsePromptTokenCount`, and bills as input: it is
 * prompt tokens too (`totalTokenCount` sums both); its cached tokens are of the prompt, never more
 * than it (`ofPrompt`). Thinking tokens are billed as output, so they
 * count in `completion_tokens` and are shown as `reasoning_tokens`. Audio, billed at its own rate,
 * is told by modality (`promptTokensDetails`, `candidatesTokensDetails`) and shown, where there is
 * some, as OpenAI's `audio_tokens`. Each figure is read as a count on its own (`tokenCount`): one
 * that is none (`-100000`, `0.5`) is 0, never summed into the others.
 */
export function geminiUsageToOpenAI(usage: GeminiUsage): JsonObject {
  const prompt = tokenCountOrZero(usage.promptTokenCount) + tokenCountOrZero(usage.toolUsePromptTokenCount);
  const reasoning = tokenCountOrZero(usage.thoughtsTokenCount);
  const completion = tokenCountOrZero(usage.candidatesTokenCount) + reasoning;
  const audioIn = audioTokens(usage.promptTokensDetails);
  const audioOut = audioTokens(usage.candidatesTokensDetails);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      cached_tokens: ofPrompt(tokenCountOrZero(usage.cachedContentTokenCount), prompt),
      ...(audioIn > 0 ? { audio_tokens: audioIn } : {}),
    },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      ...(audioOut > 0 ? { audio_tokens: audioOut } : {}),
    },
  };
}

/** The `AUDIO` entries of a Gemini `ModalityTokenCount` list (0 when there is none). */
function audioTokens(details: unknown): number {
  if (!Array.isArray(details)) return 0;
  let audio = 0;
  for (const entry of details)
    if (isJsonObject(entry) && entry.modality === "AUDIO") audio += tokenCountOrZero(entry.tokenCount);
  return audio;
}

/** What Google billed for a turn, in the gateway's terms (as its chat usage reads). */
export function billedUsage(usage: GeminiUsage | undefined): Usage | undefined {
  return usage ? usageFromOpenAI({ usage: geminiUsageToOpenAI(usage) }) : undefined;
}
