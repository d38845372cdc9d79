import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import { estimatedInputTokens, estimatedOutputTokens } from "./prompt-estimate.ts";
import { countedLength, reasoningBlob } from "./reasoning-blob.ts";

/**
 * What a whole answer whose upstream reported no usage (stream-estimate.ts `reportsUsage`) used, by
 * the gateway's count: the prompt as a stream's is (`estimatedInputTokens`), the answer's text as
 * the upstream wrote it at four characters a token (the same answer charged the same whichever
 * front door it goes out of). One figure, charged and audited (http/whole-usage.ts) and, where
 * the answer is translated for its caller, told the caller in its dialect's usage
 * (routing/attempt-answer.ts `withUsageTold`), as a stream's estimate is.
 */
export function estimatedWholeUsage(prompt: JsonObject, answer: unknown): Usage {
  return {
    inputTokens: estimatedInputTokens(prompt),
    outputTokens: estimatedOutputTokens(answerChars(answer)),
  };
}

/** Where an answer's text is: chat and completions' choices, Messages' content, Responses' output. */
const ANSWER_FIELDS = ["choices", "content", "output"] as const;
/** Fields under those that say what the text is, not what it says. */
const NOT_TEXT = new Set([
  "id",
  "object",
  "type",
  "role",
  "index",
  "finish_reason",
  "stop_reason",
  "status",
  "call_id",
  "logprobs",
]);

/** The characters of an answer's text: every string under its answer fields, labels left out. */
function answerChars(answer: unknown): number {
  if (!isJsonObject(answer)) return 0;
  let chars = 0;
  for (const field of ANSWER_FIELDS) chars += textChars(answer[field]);
  return chars;
}

/**
 * A reasoning blob (a thinking block's `signature`, `encrypted_content`, a Gemini signature) counts
 * nothing, as in the prompt's count (prompt-estimate.ts `countChars`, reasoning-blob.ts): it is no
 * text the model wrote, and a caller of another dialect is not even sent it.
 */
function textChars(value: unknown): number {
  if (typeof value === "string") return value.length;
  let chars = 0;
  if (Array.isArray(value)) for (const item of value) chars += textChars(item);
  else if (isJsonObject(value)) {
    const blob = reasoningBlob(value);
    for (const [key, item] of Object.entries(value)) {
      if (key === blob || NOT_TEXT.has(key)) continue;
      chars += typeof item === "string" ? countedLength(key, item) : textChars(item);
    }
  }
  return chars;
}
