import type { Embedded } from "../../translate/openai-embeddings.ts";

/** Calls of one request sent at once, at most: a long input list must not flood the vendor. */
const CALLS_AT_ONCE = 8;

/**
 * Embeds `texts` in calls of at most `perCall` texts (a vendor's cap: one for Titan, 96 for
 * Cohere, …), at most eight at once, and joins the answers in the texts' order. The tokens are
 * the calls' sum, or undefined when any call counted none.
 */
export async function embedInCalls(
  texts: readonly string[],
  perCall: number,
  embed: (texts: readonly string[]) => Promise<Embedded>,
): Promise<Embedded> {
  const batches: (readonly string[])[] = [];
  for (let at = 0; at < texts.length; at += perCall) batches.push(texts.slice(at, at + perCall));
  const answers: Embedded[] = new Array(batches.length);
  let next = 0;
  const sender = async () => {
    for (let index = next++; index < batches.length; index = next++) {
      answers[index] = await embed(batches[index] ?? []);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CALLS_AT_ONCE, batches.length) }, sender));
  let inputTokens: number | undefined = 0;
  for (const answer of answers)
    inputTokens =
      inputTokens === undefined || answer.inputTokens === undefined
        ? undefined
        : inputTokens + answer.inputTokens;
  return { vectors: answers.flatMap((answer) => answer.vectors), inputTokens };
}
