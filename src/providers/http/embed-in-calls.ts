import type { Embedded } from "../../translate/openai-embeddings.ts";

/** Calls of one request sent at once, at most: a long input list must not flood the vendor. */
const CALLS_AT_ONCE = 8;

/**
 * Embeds `texts` in calls of at most `perCall` texts (a vendor's cap: one for Titan, 96 for
 * Cohere, …), at most eight at once, and joins the answers in the texts' order. The tokens are
 * the calls' sum, or undefined when any call counted none. Each call gets a signal that aborts
 * with the request's, and when any call fails: the whole has failed, so the calls still running
 * are cut off and no more are sent.
 */
export async function embedInCalls(
  texts: readonly string[],
  perCall: number,
  request: AbortSignal,
  embed: (texts: readonly string[], signal: AbortSignal) => Promise<Embedded>,
): Promise<Embedded> {
  const batches: (readonly string[])[] = [];
  for (let at = 0; at < texts.length; at += perCall) batches.push(texts.slice(at, at + perCall));
  const failed = new AbortController();
  const signal = AbortSignal.any([request, failed.signal]);
  const answers: Embedded[] = new Array(batches.length);
  let next = 0;
  const sender = async () => {
    for (let index = next++; index < batches.length && !signal.aborted; index = next++) {
      try {
        answers[index] = await embed(batches[index] ?? [], signal);
      } catch (error) {
        failed.abort(error);
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CALLS_AT_ONCE, batches.length) }, sender));
  // A sender that stopped at the request's abort threw nothing: the abort is the answer.
  if (request.aborted) throw request.reason;
  let inputTokens: number | undefined = 0;
  for (const answer of answers)
    inputTokens =
      inputTokens === undefined || answer.inputTokens === undefined
        ? undefined
        : inputTokens + answer.inputTokens;
  return { vectors: answers.flatMap((answer) => answer.vectors), inputTokens };
}
