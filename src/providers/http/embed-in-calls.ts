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

/** A text of a call being filled, with what it weighs: its count, or (not `counted`) a bound on it. */
interface Weighed {
  readonly text: string;
  weight: number;
  counted: boolean;
}

/**
 * `texts` in order, cut into calls that each keep within `cap`: the cut a count of every text
 * would make, but a text is counted only when the bounds (`atMost`) of its call so far and its own
 * could pass `cap.tokens.most`; then the call's texts not yet counted are too.
 */
function batchesOf(texts: readonly string[], cap: EmbedCallCap): (readonly string[])[] {
  const tokens = cap.tokens;
  const batches: string[][] = [];
  let batch: Weighed[] = [];
  let sum = 0;
  const close = () => {
    if (batch.length > 0) batches.push(batch.map((held) => held.text));
    batch = [];
    sum = 0;
  };
  const counted = (held: Weighed, count: (text: string) => number) => {
    if (!held.counted) held.weight = count(held.text);
    held.counted = true;
    return held.weight;
  };
  for (const text of texts) {
    if (batch.length >= cap.texts) close();
    if (tokens === undefined) {
      batch.push({ text, weight: 0, counted: true });
      continue;
    }
    const bound = tokens.atMost?.(text);
    const next: Weighed =
      bound === undefined
        ? { text, weight: tokens.count(text), counted: true }
        : { text, weight: bound, counted: false };
    if (batch.length > 0 && sum + next.weight > tokens.most) {
      // The bounds say it may not fit: counted, it and the call's texts may.
      sum = batch.reduce((total, held) => total + counted(held, tokens.count), 0);
      if (sum + counted(next, tokens.count) > tokens.most) close();
    }
    batch.push(next);
    sum += next.weight;
  }
  close();
  return batches;
}
