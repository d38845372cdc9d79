import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";

const tokenLogprob = z.looseObject({
  token: z.string(),
  logprob: z.number(),
  bytes: z.array(z.number()).nullish(),
});
const chatLogprobs = z.looseObject({
  content: z.array(tokenLogprob.extend({ top_logprobs: z.array(tokenLogprob).nullish() })).nullish(),
});

/**
 * A chat choice's `logprobs` (a whole answer's, or one chunk's) as the `logprobs` of an
 * `output_text` part and its delta events: each token with its alternatives, as OpenAI's
 * Responses API writes them. None asked for, or none readable, is none: the answer still stands.
 */
export function outputTextLogprobs(logprobs: unknown): readonly JsonObject[] {
  // The everyday chunk has none: nothing parsed, nothing made.
  if (logprobs === undefined || logprobs === null) return NONE;
  const parsed = chatLogprobs.safeParse(logprobs);
  if (!parsed.success) return NONE;
  return (parsed.data.content ?? []).map((entry) => ({
    ...token(entry),
    top_logprobs: (entry.top_logprobs ?? []).map(token),
  }));
}

const NONE: readonly JsonObject[] = Object.freeze([]);

const token = (entry: z.infer<typeof tokenLogprob>): JsonObject => ({
  token: entry.token,
  logprob: entry.logprob,
  bytes: entry.bytes ?? [],
});
