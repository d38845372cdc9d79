import { contextOverflowMessage } from "../core/context-overflow.ts";
import type { JsonObject, Operation } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";
import { CHARS_PER_TOKEN } from "../translate/chars-per-token.ts";
import { countChars, estimatedPromptTokens, PROMPT_FIELDS } from "../translate/prompt-estimate.ts";

/** The answer budget a request asks for, in whichever field its dialect uses. */
export function requestedOutputTokens(body: JsonObject): number {
  for (const field of ["max_completion_tokens", "max_tokens", "max_output_tokens"]) {
    const value = body[field];
    if (typeof value === "number" && Number.isFinite(value) && value > 0) return value;
  }
  return 0;
}

/**
 * The field whose elements are prompts of their own, for the operations that take a list of them:
 * an embeddings `input` and a completions `prompt` are answered one element at a time, and a
 * model's window bounds each alone. OpenAI's embeddings take up to 8,192 tokens an input (its
 * 300,000 a request, all inputs together, are no route's window: the upstream refuses those
 * itself), Azure's and Bedrock Titan's the same; a completions prompt list is one completion each.
 */
const SEPARATE_PROMPTS: Partial<Record<Operation, "input" | "prompt">> = {
  embeddings: "input",
  completions: "prompt",
};

/** A separate-prompt field's prompts: each element of a list, else the one value. */
const promptsOf = (value: unknown): readonly unknown[] => (Array.isArray(value) ? value : [value]);

/**
 * Whether the prompt plus the requested answer can fit `window` tokens, by counting the
 * characters of every string in the prompt fields, each medium its own figure (an image's base64
 * is no text: translate/media-tokens.ts) — each prompt of a list alone, where the
 * operation answers them apart (`SEPARATE_PROMPTS`). Stops as soon as the count proves it cannot,
 * so a huge prompt costs no more than the window it is measured against. A token count always
 * fits: counting a conversation too long for the window is how a client (Claude Code) learns it
 * must compact, so the count is its answer, never a refusal.
 */
export function fitsContext(operation: Operation, body: JsonObject, window: number): boolean {
  if (operation === "count_tokens") return true;
  const budgetChars = (window - requestedOutputTokens(body)) * CHARS_PER_TOKEN;
  if (budgetChars <= 0) return false;
  const separate = SEPARATE_PROMPTS[operation];
  if (separate !== undefined)
    return promptsOf(body[separate]).every((prompt) => countChars(prompt, { chars: 0 }, budgetChars));
  const count = { chars: 0 };
  return PROMPT_FIELDS.every((field) => countChars(body[field], count, budgetChars));
}

/** The prompt's estimated tokens as the window bounds them: the longest of separate prompts, else all of it. */
function windowedPromptTokens(operation: Operation, body: JsonObject): number {
  const separate = SEPARATE_PROMPTS[operation];
  if (separate === undefined) return estimatedPromptTokens(body);
  let longest = 0;
  for (const prompt of promptsOf(body[separate])) {
    const count = { chars: 0 };
    countChars(prompt, count, Number.POSITIVE_INFINITY);
    longest = Math.max(longest, count.chars);
  }
  return Math.ceil(longest / CHARS_PER_TOKEN);
}

/**
 * The gateway's refusal of a request no route's window can hold, `window` the largest that was
 * passed over, with the estimate's numbers in OpenAI's words (core/context-overflow.ts): of the
 * longest prompt where the operation answers each apart, its field the `param` (else the
 * conversation's: a Responses caller's `input`, a chat or Messages caller's `messages`). When the prompt
 * alone fits it, the requested answer is counted apart: it is the answer that does not fit,
 * and an Anthropic caller is told to ask for a shorter one (Claude Code then does), not that its
 * prompt is too long (which it cannot fix by compacting a conversation of one exchange).
 */
export function noRouteFits(
  operation: Operation,
  body: JsonObject,
  window: number,
  model: string,
): GatewayError {
  const prompt = windowedPromptTokens(operation, body);
  const answer = requestedOutputTokens(body);
  const overflow = prompt < window && answer > 0 ? { window, prompt, answer } : { window, prompt };
  return new GatewayError({
    status: 400,
    code: "context_length_exceeded",
    param: SEPARATE_PROMPTS[operation] ?? (operation === "responses" ? "input" : "messages"),
    message: contextOverflowMessage(
      overflow,
      `by mindgw's estimate: no route of model ${model} can hold them`,
    ),
  });
}
