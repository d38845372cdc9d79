import type { SseEvent } from "../../core/sse.ts";
import type { OpenAIChunk } from "../openai-schema.ts";
import { blockText, type ThinkingStep } from "../thinking-blocks.ts";

/** One choice of a chat chunk. */
export type ChunkChoice = NonNullable<OpenAIChunk["choices"]>[number];
/** One tool call fragment of a chat chunk's delta. */
export type ChunkToolCall = NonNullable<NonNullable<ChunkChoice["delta"]>["tool_calls"]>[number];

/** Reasoning text a chat server sent, when it is text (servers differ in the field's shape). */
export const reasoningText = (value: unknown): string | undefined =>
  typeof value === "string" && value !== "" ? value : undefined;

/**
 * What a translated stream's writer makes of each part of a chat chunk's answer, in the order
 * `walkChoices` reads them. Each writer (Messages, Responses) is its own `ChoiceParts`, so walking
 * a chunk makes nothing.
 */
export interface ChoiceParts {
  /** The delta's reasoning text, as `blockText` gives it (the step's block marks taken off). */
  onReasoning(text: string, out: SseEvent[]): void;
  /** The delta's content, when it has some. */
  onContent(text: string, choice: ChunkChoice, out: SseEvent[]): void;
  /** A delta with no content: its logprobs may still say something. */
  onNoContent(choice: ChunkChoice, out: SseEvent[]): void;
  /**
   * The delta's `annotations` (url_citation, over the whole content so far: OpenAI's search models
   * send them in a chunk of their own after the text), when it has some; a writer that has no place
   * for them leaves this out.
   */
  onAnnotations?(annotations: readonly unknown[], out: SseEvent[]): void;
  /** The delta's refusal, whether or not it had content too. */
  onRefusal(text: string, out: SseEvent[]): void;
  onToolCall(call: ChunkToolCall, out: SseEvent[]): void;
  /** The choice's finish reason, when it says one. */
  onFinish(choice: ChunkChoice): void;
}

/**
 * The one walk of a chat chunk's choices for every writer that translates a chat stream, so that
 * no writer reads a part the others leave (a refusal beside content was read by one and lost by
 * the other while each walked its own way). Only the first answer is walked: the callers' dialects
 * have one, and extra choices are dropped.
 */
export function walkChoices(
  chunk: OpenAIChunk,
  step: ThinkingStep | undefined,
  parts: ChoiceParts,
  out: SseEvent[],
): void {
  const choices = chunk.choices;
  if (!choices) return;
  for (const choice of choices) {
    if ((choice.index ?? 0) !== 0) continue;
    const delta = choice.delta;
    const reasoning = reasoningText(delta?.reasoning_content ?? delta?.reasoning);
    if (reasoning) parts.onReasoning(blockText(step, reasoning), out);
    if (delta?.content) parts.onContent(delta.content, choice, out);
    else parts.onNoContent(choice, out);
    const annotations = delta?.annotations;
    if (Array.isArray(annotations) && annotations.length > 0) parts.onAnnotations?.(annotations, out);
    if (delta?.refusal) parts.onRefusal(delta.refusal, out);
    const calls = delta?.tool_calls;
    if (calls) for (const call of calls) parts.onToolCall(call, out);
    if (choice.finish_reason) parts.onFinish(choice);
  }
}
