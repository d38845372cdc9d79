const encoder = new TextEncoder();

/** One token's logprob, as chat's `logprobs.content` has it (an alternative has no `top_logprobs`). */
export type TokenLogprob = {
  token: string;
  logprob: number;
  bytes: number[];
  top_logprobs: { token: string; logprob: number; bytes: number[] }[];
};

/** Alternatives the mock offers for a token, least likely last. */
const ALTERNATIVES = [" the", " a", ".", ",", " and", " of", " to", " in", " is", " it"];

/**
 * Chat's `logprobs.content` for the mock's tokens: each one certain (logprob 0), with `top` more
 * likely-looking alternatives (the token itself first, then fixed ones ever less likely), in the
 * shape the OpenAI SDK reads. Deterministic, as the rest of the mock's answer is.
 */
export function mockLogprobs(pieces: readonly string[], top: number): TokenLogprob[] {
  return pieces.map((token) => {
    const entry = (text: string, logprob: number) => ({
      token: text,
      logprob,
      bytes: [...encoder.encode(text)],
    });
    const others = ALTERNATIVES.filter((text) => text !== token).slice(0, Math.max(0, top - 1));
    const top_logprobs =
      top > 0 ? [entry(token, 0), ...others.map((text, i) => entry(text, -(i + 1) * 2))] : [];
    return { ...entry(token, 0), top_logprobs };
  });
}
