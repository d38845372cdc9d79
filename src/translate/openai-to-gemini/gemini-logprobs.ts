import { z } from "zod";
import type { JsonObject } from "../../core/dialect.ts";

/**
 * One token of Gemini's `LogprobsResult`. Google's JSON leaves out a field at its proto default:
 * a token the model was certain of comes without `logProbability` (0), as an empty token would
 * come without `token`.
 */
const geminiToken = z.looseObject({
  token: z.string().optional(),
  logProbability: z.number().optional(),
});

/**
 * `candidates[].logprobsResult` (the Gemini API's and Vertex AI's alike): the token chosen at each
 * step (`chosenCandidates`) and, when `logprobs` asked for N, the N likeliest there, best first
 * (`topCandidates`, one entry a step). A stream's event carries those of its own tokens.
 */
const logprobsResult = z.looseObject({
  chosenCandidates: z.array(geminiToken).optional(),
  topCandidates: z.array(z.looseObject({ candidates: z.array(geminiToken).optional() })).optional(),
});

const encoder = new TextEncoder();

/** A token as chat's logprobs write one: its text, log probability and UTF-8 bytes. */
const chatToken = (token: z.infer<typeof geminiToken>): JsonObject => {
  const text = token.token ?? "";
  return { token: text, logprob: token.logProbability ?? 0, bytes: [...encoder.encode(text)] };
};

/**
 * A candidate's `logprobsResult` as a chat choice's (or chunk's) `logprobs`: `content`, a token a
 * step with its `top_logprobs` (none where `top_logprobs` asked for none), as OpenAI writes them.
 * Null when Gemini sent none (none asked for), or none the gateway can read: the answer stands
 * without them.
 */
export function chatLogprobsOf(result: unknown): JsonObject | null {
  if (result === undefined || result === null) return null;
  const parsed = logprobsResult.safeParse(result);
  if (!parsed.success) return null;
  const { chosenCandidates = [], topCandidates = [] } = parsed.data;
  const content = chosenCandidates.map((chosen, step) => ({
    ...chatToken(chosen),
    top_logprobs: (topCandidates[step]?.candidates ?? []).map(chatToken),
  }));
  return { content, refusal: null };
}
