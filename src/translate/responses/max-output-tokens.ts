import { integerBelowMin } from "../../core/integer-out-of-range.ts";
import { invalidType } from "../../core/invalid-type.ts";

/** The fewest output tokens OpenAI's Responses API lets a request ask for. */
const FEWEST = 16;

/**
 * Refuses a Responses request's `max_output_tokens` that OpenAI's API refuses, in its words and
 * with its codes: not an integer, or below its floor of 16. A translated route would otherwise
 * send it on, where Anthropic's or a chat server's API takes it (null is unset).
 */
export function checkMaxOutputTokens(body: { readonly max_output_tokens?: unknown }): void {
  const max = body.max_output_tokens;
  if (max === undefined || max === null) return;
  if (typeof max !== "number" || !Number.isInteger(max))
    throw invalidType("max_output_tokens", "an integer", max);
  if (max < FEWEST) throw integerBelowMin("max_output_tokens", FEWEST, max);
}
