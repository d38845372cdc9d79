import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { Usage } from "../../core/usage.ts";
import { answerFinish, type FinishReasons, finishFailure } from "../failed-finish.ts";
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

/**
 * Gemini's finishReasons (FinishReason in google-genai's types, the Gemini API's and Vertex AI's):
 * the filters' (a prompt's, an image's, Model Armor's; LANGUAGE, a language the model does not
 * take) read as `content_filter`; the rest end the turn in failure: a function call Gemini could
 * not write or should not have made, a response it could not form, a thought signature the history
 * lacks, an image it did not make, a stop it gives no reason for.
 */
const GEMINI_FINISH: FinishReasons = {
  field: "Gemini finishReason",
  answers: {
    STOP: "stop",
    MAX_TOKENS: "length",
    SAFETY: "content_filter",
    RECITATION: "content_filter",
    LANGUAGE: "content_filter",
    BLOCKLIST: "content_filter",
    PROHIBITED_CONTENT: "content_filter",
    SPII: "content_filter",
    IMAGE_SAFETY: "content_filter",
    IMAGE_PROHIBITED_CONTENT: "content_filter",
    IMAGE_RECITATION: "content_filter",
    IMAGE_OTHER: "content_filter",
    MODEL_ARMOR: "content_filter",
  },
  failures: {
    MALFORMED_FUNCTION_CALL: "the model produced a malformed function call",
    UNEXPECTED_TOOL_CALL: "the model called a tool that was not offered",
    TOO_MANY_TOOL_CALLS: "the model made too many tool calls",
    MALFORMED_RESPONSE: "the model produced a malformed response",
    MISSING_THOUGHT_SIGNATURE: "the request lacks a thought signature the model needs",
    NO_IMAGE: "the model was to make an image and made none",
    OTHER: "the model stopped for an unspecified reason",
  },
};

/** Gemini finishReason → OpenAI finish_reason; a turn that called tools ends in `tool_calls`. */
export function finishReasonOfGemini(reason: string | undefined, calledTools: boolean): string {
  const finish = answerFinish(GEMINI_FINISH, reason);
  return finish === "stop" && calledTools ? "tool_calls" : finish;
}

/**
 * The failure a candidate's finishReason says, if it says one (translate/failed-finish.ts), with
 * the turn's usage.
 */
export const failedFinish = (
  reason: string | undefined,
  usage: GeminiUsage | undefined,
): GatewayError | undefined => finishFailure(GEMINI_FINISH, reason, () => billedUsage(usage));
