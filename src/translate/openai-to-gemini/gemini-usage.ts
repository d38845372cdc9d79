import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import type { Usage } from "../../core/usage.ts";
import { usageFromOpenAI } from "../usage-mapping.ts";
import type { GeminiUsage } from "./gemini-schema.ts";

const num = (value: number | null | undefined) => value ?? 0;

/**
 * Gemini usage → OpenAI chat usage. `promptTokenCount` already includes cached tokens, as
 * OpenAI's `prompt_tokens` does; thinking tokens are billed as output, so they count in
 * `completion_tokens` and are shown as `reasoning_tokens`. Audio, billed at its own rate, is
 * told by modality (`promptTokensDetails`, `candidatesTokensDetails`) and shown, where there is
 * some, as OpenAI's `audio_tokens`.
 */
export function geminiUsageToOpenAI(usage: GeminiUsage): JsonObject {
  const prompt = num(usage.promptTokenCount);
  const reasoning = num(usage.thoughtsTokenCount);
  const completion = num(usage.candidatesTokenCount) + reasoning;
  const audioIn = audioTokens(usage.promptTokensDetails);
  const audioOut = audioTokens(usage.candidatesTokensDetails);
  return {
    prompt_tokens: prompt,
    completion_tokens: completion,
    total_tokens: prompt + completion,
    prompt_tokens_details: {
      cached_tokens: num(usage.cachedContentTokenCount),
      ...(audioIn > 0 ? { audio_tokens: audioIn } : {}),
    },
    completion_tokens_details: {
      reasoning_tokens: reasoning,
      ...(audioOut > 0 ? { audio_tokens: audioOut } : {}),
    },
  };
}

/** The `AUDIO` entry of a Gemini `ModalityTokenCount` list (0 when there is none). */
function audioTokens(details: unknown): number {
  if (!Array.isArray(details)) return 0;
  let audio = 0;
  for (const entry of details)
    if (isJsonObject(entry) && entry.modality === "AUDIO" && typeof entry.tokenCount === "number")
      audio += entry.tokenCount;
  return audio;
}

/** What Google billed for a turn, in the gateway's terms (as its chat usage reads). */
export function billedUsage(usage: GeminiUsage | undefined): Usage | undefined {
  return usage ? usageFromOpenAI({ usage: geminiUsageToOpenAI(usage) }) : undefined;
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

/**
 * finishReasons that end a turn in failure, not an answer: a function call Gemini could not write
 * or should not have made, or a stop it gives no reason for. Never an empty `stop` (a failed tool
 * call would look like a finished empty answer): a retryable 502 and, once a stream has begun, its
 * error event. Such a finish is stochastic, and asking again is the usual remedy: the same route
 * is tried again under `routing.retries`, then the next. Mostly the caller's own tools or prompt
 * bring it on, so this route's breaker does not count it (two such prompts must not take the
 * route from every caller). Google billed the turn: its usage rides on the failure.
 */
const FAILED_FINISH: Readonly<Record<string, string>> = {
  MALFORMED_FUNCTION_CALL: "the model produced a malformed function call",
  UNEXPECTED_TOOL_CALL: "the model called a tool that was not offered",
  TOO_MANY_TOOL_CALLS: "the model made too many tool calls",
  OTHER: "the model stopped for an unspecified reason",
};

/** The failure a candidate's finishReason says, if it says one, with the turn's usage. */
export function failedFinish(
  reason: string | undefined,
  usage: GeminiUsage | undefined,
): GatewayError | undefined {
  const failure = reason === undefined ? undefined : FAILED_FINISH[reason];
  if (!failure) return undefined;
  const billed = billedUsage(usage);
  return new GatewayError({
    status: 502,
    code: "upstream_error",
    message: `${failure} (Gemini finishReason ${reason})`,
    retryable: true,
    countsAgainstRoute: false,
    ...(billed ? { usage: billed } : {}),
  });
}
