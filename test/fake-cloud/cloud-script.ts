/**
 * A reasoning block before the answer (Bedrock Converse's `reasoningContent`): its text, with the
 * signature Claude makes of it (none from a model that signs none, DeepSeek-R1's), or Claude's
 * thinking redacted (the blob, base64 as Converse's JSON says it).
 */
export type CloudReasoning = { text: string; signature?: string } | { redacted: string };

/** What a cloud fake answers: text, or a call of the request's first tool. */
export interface CloudAnswer {
  text: string;
  tool?: { name: string; args: Record<string, unknown> };
  inputTokens: number;
  outputTokens: number;
  /** Bedrock only: reasoning blocks before the text or call. */
  reasoning?: CloudReasoning[];
  /**
   * Bedrock only: prompt tokens read from and written to the cache, beside `inputTokens` (default 2
   * and 0); `hour`, of the writes, those that live an hour (said in `cacheDetails`, with the rest as
   * `5m`; no `cacheDetails` without it).
   */
  cache?: { read: number; write: number; hour?: number };
  /**
   * Bedrock only: how the turn ended (`stopReason`, `end_turn` or `tool_use` by default) and, from
   * Claude, the stop sequence that matched (`additionalModelResponseFields.stop_sequence`).
   */
  stop?: { reason: string; sequence?: string | null };
}

/** Scripted like the OpenAI fake: "use a tool" in the last user turn calls the first tool offered. */
export function answerFor(lastUserText: string, firstTool: string | undefined, vendor: string): CloudAnswer {
  const inputTokens = Math.max(1, Math.ceil(lastUserText.length / 4));
  if (firstTool && /use a tool/i.test(lastUserText))
    return { text: "", tool: { name: firstTool, args: { city: "Paris" } }, inputTokens, outputTokens: 7 };
  return { text: `Hello from ${vendor}. You said: ${lastUserText}`, inputTokens, outputTokens: 9 };
}

/** Splits text into a few stream deltas, so a stream has more than one. */
export const deltas = (text: string): string[] => text.match(/.{1,8}/gs) ?? [];
