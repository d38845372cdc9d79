/** Counts the tokens of a text. */
export type TokenCounter = (text: string) => number;

let counter: Promise<TokenCounter> | undefined;

/**
 * The o200k_base tokenizer (gpt-tokenizer, a maintained pure-JS port of tiktoken), loaded on the
 * first count so the gateway's start-up does not pay for its tables. Upstream tokenizers differ:
 * what it counts for another vendor's model is an estimate, close but not exact.
 */
export function tokenCounter(): Promise<TokenCounter> {
  counter ??= import("gpt-tokenizer/encoding/o200k_base").then(
    ({ countTokens }) =>
      (text) =>
        countTokens(text, AS_PLAIN_TEXT),
  );
  return counter;
}

/**
 * A caller's text counted as plain text, as the upstream encodes it: gpt-tokenizer's default
 * throws on a special token's spelling (`<|endoftext|>` in a prompt, a document about tokenizers),
 * which failed the count and the request with it.
 */
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };
