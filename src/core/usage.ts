/** Tokens an answer consumed, in the gateway's own terms (both dialects map onto it). */
export interface Usage {
  /** The whole prompt, cached parts included (OpenAI's `prompt_tokens` sense). */
  inputTokens: number;
  /** The whole answer, reasoning included. */
  outputTokens: number;
  /** Of `inputTokens`, read from the provider's prompt cache (billed at a lower rate). */
  cachedInputTokens?: number;
  /** Of `inputTokens`, written to the provider's prompt cache (billed at a higher rate). */
  cacheWriteTokens?: number;
  /** Of `outputTokens`, spent on reasoning. */
  reasoningTokens?: number;
}

export const noUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0 });

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

const USAGE_DETAILS = ["cachedInputTokens", "cacheWriteTokens", "reasoningTokens"] as const;
