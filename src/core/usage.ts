/**
 * Tokens an answer consumed, in the gateway's own terms (both dialects map onto it). The parts
 * billed at rates of their own are named where the upstream reported them, each inside its whole.
 */
export interface Usage {
  /** The whole prompt, cached parts included (OpenAI's `prompt_tokens` sense). */
  inputTokens: number;
  /** The whole answer, reasoning included. */
  outputTokens: number;
  /** Of `inputTokens`, read from the provider's prompt cache (billed at a lower rate). */
  cachedInputTokens?: number;
  /** Of `inputTokens`, written to the provider's prompt cache, for any time to live (billed higher). */
  cacheWriteTokens?: number;
  /**
   * Of `cacheWriteTokens`, written for an hour (Anthropic's `ttl: "1h"`), billed higher than the
   * default five minutes.
   */
  cacheWrite1hTokens?: number;
  /** Of `outputTokens`, spent on reasoning. */
  reasoningTokens?: number;
  /** Of `inputTokens`, audio (billed at the model's audio rate). */
  inputAudioTokens?: number;
  /** Of `outputTokens`, audio. */
  outputAudioTokens?: number;
  /** Web searches the upstream ran itself (Anthropic's server tool, OpenAI's `web_search`), billed per search. */
  webSearches?: number;
}

export const noUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0 });

/** The optional parts of a usage: what a sum adds and a stream's meter keeps the largest of. */
export const USAGE_DETAILS = [
  "cachedInputTokens",
  "cacheWriteTokens",
  "cacheWrite1hTokens",
  "reasoningTokens",
  "inputAudioTokens",
  "outputAudioTokens",
  "webSearches",
] as const;

export type UsageDetail = (typeof USAGE_DETAILS)[number];

/** Two usages as one: the tokens of both, each detail summed where either has it. */
export function addedUsage(a: Usage, b: Usage): Usage {
  const sum: Usage = {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
  };
  for (const detail of USAGE_DETAILS) {
    const total = (a[detail] ?? 0) + (b[detail] ?? 0);
    if (a[detail] !== undefined || b[detail] !== undefined) sum[detail] = total;
  }
  return sum;
}
