import type { JsonObject } from "../../core/dialect.ts";
import type { GatheredText } from "./gathered-text.ts";
import {
  functionCallItem,
  messageItem,
  outputTextPart,
  reasoningItem,
  refusalPart,
} from "./response-envelope.ts";
import type { ToolTarget } from "./tool-names.ts";

/** One output item being streamed (responses-stream-writer.ts). */
export interface OpenItem {
  /** A message is its text; a refusal, a message whose one part is the model declining. */
  kind: "message" | "refusal" | "tool" | "reasoning";
  outputIndex: number;
  itemId: string;
  /** Its text, refusal, reasoning or arguments so far (gathered-text.ts: held flat, not as a rope of deltas). */
  text: GatheredText;
  /** A message's tokens' logprobs so far (output-logprobs.ts), when the caller asked. */
  logprobs: JsonObject[];
  /** A message's text part's annotations so far (responses-annotation.ts: its web citations). */
  annotations: JsonObject[];
  callId: string;
  tool: ToolTarget;
  closed: boolean;
  /** The answer was cut (max tokens, a filter) while this item was open: it ends `incomplete`. */
  cut: boolean;
  /** A reasoning item's `encrypted_content`: its thinking block's signature (thinking-blocks.ts). */
  encrypted?: string;
}

/** The item as the response's `output` lists it, and its `output_item` events carry it. */
export function itemBody(item: OpenItem): JsonObject {
  const status = !item.closed ? "in_progress" : item.cut ? "incomplete" : "completed";
  const text = item.text.whole();
  if (item.kind === "message")
    return messageItem(item.itemId, status, [outputTextPart(text, item.logprobs, item.annotations)]);
  if (item.kind === "refusal") return messageItem(item.itemId, status, [refusalPart(text)]);
  if (item.kind === "reasoning")
    return item.closed ? reasoningItem(item.itemId, text, item.encrypted) : reasoningItem(item.itemId, "");
  return functionCallItem(item.itemId, { ...item.tool, callId: item.callId, arguments: text }, status);
}

/**
 * The item as a failed response's `output` lists it: one still open with what it had when the
 * answer failed (a message's text so far, a reasoning summary so far), where its `added` body is
 * empty, as OpenAI's `response.failed` lists it. A closed item is as its `done` event said it.
 */
export function itemSoFar(item: OpenItem): JsonObject {
  if (item.closed) return itemBody(item);
  const text = item.text.whole();
  if (item.kind === "message")
    return { ...itemBody(item), content: [outputTextPart(text, item.logprobs, item.annotations)] };
  if (item.kind === "refusal") return { ...itemBody(item), content: [refusalPart(text)] };
  if (item.kind === "reasoning") return reasoningItem(item.itemId, text, item.encrypted);
  return itemBody(item);
}

// Where an event points: the item, its one reasoning summary, its one content part.

export const itemRef = (item: OpenItem) => ({ item_id: item.itemId, output_index: item.outputIndex });

export const summaryRef = (item: OpenItem) => ({ ...itemRef(item), summary_index: 0 });

export const contentRef = (item: OpenItem) => ({ ...itemRef(item), content_index: 0 });
