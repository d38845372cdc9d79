import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { mediaTokens } from "./media-tokens.ts";

/**
 * Characters per token for the estimate. Real text runs 3.5–4.5 for English and code and fewer
 * for other scripts, so 4 tends to *under*-count: a route is skipped only when the prompt
 * clearly cannot fit; a borderline one is tried, and `fallback_on: [context_length]` catches
 * the upstream's refusal.
 */
export const CHARS_PER_TOKEN = 4;

/** Where a request's prompt is, in any dialect: what the model reads. */
export const PROMPT_FIELDS = ["messages", "input", "system", "instructions", "prompt", "tools"];

/**
 * The characters of every string under a value, counted until `stop` says enough. A medium (an
 * image, a document, audio: media-tokens.ts) counts the characters of its tokens, its payload
 * never read: a photo's base64 would be 200,000 tokens of text.
 */
export function countChars(value: unknown, count: { chars: number }, stop: number): boolean {
  if (typeof value === "string") {
    count.chars += value.length;
    return count.chars <= stop;
  }
  if (Array.isArray(value)) {
    for (const item of value) if (!countChars(item, count, stop)) return false;
    return true;
  }
  if (!isJsonObject(value)) return true;
  const media = mediaTokens(value);
  if (media !== undefined) {
    count.chars += media * CHARS_PER_TOKEN;
    return count.chars <= stop;
  }
  // Parsed JSON has only keys of its own; `for…in` allocates no array of values on the hot path.
  for (const key in value) if (!countChars(value[key], count, stop)) return false;
  return true;
}

/**
 * The prompt's tokens by the same count (every string of the prompt fields at four characters a
 * token, each medium its own figure), no tokenizer pass: a floor, for an answer whose upstream
 * never said what it used, and a translated stream's `message_start`.
 */
export function estimatedPromptTokens(body: JsonObject): number {
  const count = { chars: 0 };
  for (const field of PROMPT_FIELDS) countChars(body[field], count, Number.POSITIVE_INFINITY);
  return Math.ceil(count.chars / CHARS_PER_TOKEN);
}
