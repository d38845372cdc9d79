import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { CHARS_PER_TOKEN } from "./chars-per-token.ts";
import { mediaTokens } from "./media-tokens.ts";
import { countedLength, reasoningBlob } from "./reasoning-blob.ts";

/**
 * A whole answer's output tokens from the characters of its text, where its upstream reported none
 * (whole-estimate.ts; a stream is charged a token an upstream event: stream-estimate.ts).
 */
export const estimatedOutputTokens = (chars: number): number => Math.ceil(chars / CHARS_PER_TOKEN);

/** Where a request's prompt is, in any dialect: what the model reads. */
export const PROMPT_FIELDS = ["messages", "input", "system", "instructions", "prompt", "tools"];

/**
 * The characters of every string under a value, counted until `stop` says enough. A medium (an
 * image, a document, audio: media-tokens.ts) counts the characters of its tokens, its payload
 * never read: a photo's base64 would be 200,000 tokens of text. The model's own reasoning handed
 * back as an opaque blob (reasoning-blob.ts: by its part's type, or Gemini's signature by its
 * field, on its own or in a call's id) counts nothing; the rest of its part is text.
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
  const blob = reasoningBlob(value);
  // Parsed JSON has only keys of its own; `for…in` allocates no array of values on the hot path.
  for (const key in value) {
    if (key === blob) continue;
    const field = value[key];
    if (typeof field !== "string") {
      if (!countChars(field, count, stop)) return false;
      continue;
    }
    count.chars += countedLength(key, field);
    if (count.chars > stop) return false;
  }
  return true;
}

/**
 * The prompt's tokens by the same count (every string of the prompt fields at four characters a
 * token, each medium its own figure), no tokenizer pass: a floor, for a translated stream's
 * `message_start` and the window check; an answer's usage counts token ids too
 * (`estimatedInputTokens`).
 */
export function estimatedPromptTokens(body: JsonObject): number {
  const count = { chars: 0 };
  for (const field of PROMPT_FIELDS) countChars(body[field], count, Number.POSITIVE_INFINITY);
  return Math.ceil(count.chars / CHARS_PER_TOKEN);
}

/**
 * The prompt's tokens where an upstream did not say (a whole answer's, a stream's, a client's that
 * left mid-attempt: http/whole-usage.ts, stream-usage.ts, account-answer.ts): its text as
 * `estimatedPromptTokens` counts it, and each token id of a prompt given as ids (embeddings'
 * `input`, completions' `prompt`) as one.
 */
export function estimatedInputTokens(prompt: JsonObject): number {
  return estimatedPromptTokens(prompt) + tokenIds(prompt.input) + tokenIds(prompt.prompt);
}

/** Token ids: a list of numbers, or a list of such lists. */
function tokenIds(value: unknown): number {
  if (!Array.isArray(value)) return 0;
  let ids = 0;
  for (const item of value) {
    if (typeof item === "number") ids++;
    else if (Array.isArray(item)) for (const id of item) if (typeof id === "number") ids++;
  }
  return ids;
}
