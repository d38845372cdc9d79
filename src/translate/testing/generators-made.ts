import { heapStats } from "bun:jsc";
import type { AnthropicStreamEvent } from "../anthropic-schema.ts";

/**
 * How many generator objects `run` made: JavaScriptCore counts the cells allocated since the last
 * collection as live, so after a full collection the count's rise is what `run` allocated. A
 * collection during `run` can only lower it, so "at most n" never fails for that reason.
 */
export function generatorsMade(run: () => void): number {
  Bun.gc(true);
  const before = heapStats().objectTypeCounts.Generator ?? 0;
  run();
  return (heapStats().objectTypeCounts.Generator ?? 0) - before;
}

/** A thinking answer's events as a writer takes them, its thinking in `deltas` deltas. */
export function thinkingAnswer(deltas: number): AnthropicStreamEvent[] {
  const thinking = { type: "thinking_delta", thinking: "Listing first. " };
  return [
    { type: "message_start", message: { id: "msg_1", usage: { input_tokens: 9, output_tokens: 0 } } },
    { type: "content_block_start", index: 0, content_block: { type: "thinking", thinking: "" } },
    ...Array.from({ length: deltas }, () => ({
      type: "content_block_delta" as const,
      index: 0,
      delta: thinking,
    })),
    {
      type: "content_block_delta",
      index: 0,
      delta: { type: "signature_delta", signature: "EqQBCkYIBxgCKkA" },
    },
    { type: "content_block_stop", index: 0 },
    { type: "content_block_start", index: 1, content_block: { type: "text", text: "" } },
    { type: "content_block_delta", index: 1, delta: { type: "text_delta", text: "a.txt" } },
    { type: "content_block_stop", index: 1 },
    { type: "message_delta", delta: { stop_reason: "end_turn" }, usage: { output_tokens: 40 } },
    { type: "message_stop" },
  ];
}
