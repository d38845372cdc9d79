import type { EmbedCallCap, Embedded } from "../../translate/openai-embeddings.ts";

/** Calls of one request sent at once, at most: a long input list must not flood the vendor. */
const CALLS_AT_ONCE = 8;

/**
 * Embeds `texts` in calls of at most `perCall` texts (a vendor's cap: one for Titan, 96 for
 * Cohere, …), and of at most its tokens where it caps those too (a text over that goes alone:
 * no call could carry it), at most eight at once, and joins the answers in the texts' order. The tokens are
 * the calls' sum, or undefined when any call counted none. Each call gets a signal that aborts
 * with the request's, and when any call fails: the whole has failed, so the calls still running
 * are cut off and no more are sent.
 */
export async function embedInCalls(
  texts: readonly string[],
  perCall: number | EmbedCallCap,
  request: AbortSignal,
  embed: (texts: readonly string[], signal: AbortSignal) => Promise<Embedded>,
): Promise<Embedded> {
  const batches = batchesOf(texts, typeof perCall === "number" ? { texts: perCall } : perCall);
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

/** `texts` in order, cut into calls that each keep within `cap`. */
function batchesOf(texts: readonly string[], cap: EmbedCallCap): (readonly string[])[] {
  const batches: string[][] = [];
  let batch: string[] = [];
  let tokens = 0;
  for (const text of texts) {
    const weight = cap.tokens ? cap.tokens.count(text) : 0;
    const full = batch.length >= cap.texts || (cap.tokens !== undefined && tokens + weight > cap.tokens.most);
    if (batch.length > 0 && full) {
      batches.push(batch);
      batch = [];
      tokens = 0;
    }
    batch.push(text);
    tokens += weight;
  }
  if (batch.length > 0) batches.push(batch);
  return batches;
}
