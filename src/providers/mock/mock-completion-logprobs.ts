import type { JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import { mockLogprobs } from "./mock-logprobs.ts";

/** OpenAI's bound on legacy completions' `logprobs` ("The maximum value for `logprobs` is 5"). */
const MOST_COMPLETION_LOGPROBS = 5;

/**
 * Legacy completions' `logprobs`: how many alternatives to give each token (0: the tokens alone),
 * or undefined when not asked. An integer from 0 to 5, as OpenAI takes; any other a 400 naming it.
 */
export function completionLogprobsAsked(logprobs: unknown): number | undefined {
  if (logprobs === undefined || logprobs === null) return undefined;
  if (
    !Number.isInteger(logprobs) ||
    (logprobs as number) < 0 ||
    (logprobs as number) > MOST_COMPLETION_LOGPROBS
  )
    throw badRequest(`logprobs: must be an integer from 0 to ${MOST_COMPLETION_LOGPROBS}`, "logprobs");
  return logprobs as number;
}

/**
 * Completions' `logprobs` for a piece of a choice's text, in the shape vLLM and OpenAI answer
 * (`tokens`, `token_logprobs`, `top_logprobs`, `text_offset`): the mock's tokens each certain, with
 * `top` alternatives as chat's (mock-logprobs.ts), `top_logprobs` null when none are asked, as
 * vLLM gives. An `echoed` prompt comes first as one token (the mock has no tokenizer) whose logprob
 * is null, as a prompt's first token's is. `offset` is where the piece starts in the choice's text
 * (a stream's chunks go on from the text before them).
 */
export function completionLogprobs(
  echoed: string,
  pieces: readonly string[],
  top: number,
  offset: number,
): JsonObject {
  const generated = mockLogprobs(pieces, top);
  const tokens = echoed === "" ? [...pieces] : [echoed, ...pieces];
  const text_offset: number[] = [];
  let at = offset;
  for (const token of tokens) {
    text_offset.push(at);
    at += token.length;
  }
  const prompt = echoed === "" ? [] : [null];
  return {
    tokens,
    token_logprobs: [...prompt, ...generated.map((entry) => entry.logprob)],
    top_logprobs:
      top === 0
        ? null
        : [
            ...prompt,
            ...generated.map((entry) =>
              Object.fromEntries(entry.top_logprobs.map((alt) => [alt.token, alt.logprob])),
            ),
          ],
    text_offset,
  };
}
