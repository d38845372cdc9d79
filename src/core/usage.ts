/** Tokens an answer consumed, in the gateway's own terms (both dialects map onto it). */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
}

export const noUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0 });
