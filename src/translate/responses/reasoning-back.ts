import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { ResponsesItem } from "./responses-schema.ts";

/**
 * A conversation's `reasoning` items back on the assistant turns they went with, for a chat
 * upstream that wants its reasoning back (`ChatUpstreamNeeds.reasoningBack`: DeepSeek's thinking
 * mode): a reasoning item's text waits for the next assistant message (its text, or the tool calls
 * it carries) and becomes that message's `reasoning_content`. A tool-call turn without reasoning (a
 * turn another route answered) carries it empty, as DeepSeek refuses one without it.
 */
export class ReasoningBack {
  private held: string[] = [];

  /** A reasoning item: its text, held for the next assistant message. */
  hold(item: ResponsesItem): void {
    const text = reasoningText(item);
    if (text !== "") this.held.push(text);
  }

  /** `message` is the assistant message an item of the turn went into: it takes what is held. */
  landed(message: JsonObject | undefined): void {
    if (this.held.length === 0 || message?.role !== "assistant") return;
    const before = typeof message.reasoning_content === "string" ? [message.reasoning_content] : [];
    message.reasoning_content = [...before, ...this.held].join("\n\n");
    this.held = [];
  }

  /** The conversation is written: every tool-call turn that took no reasoning carries it empty. */
  finish(messages: readonly JsonObject[]): void {
    for (const message of messages) {
      if (message.role === "assistant" && message.tool_calls && message.reasoning_content === undefined)
        message.reasoning_content = "";
    }
  }
}

/**
 * A reasoning item's text: its `content` (`reasoning_text` parts, the reasoning itself), else its
 * `summary` (`summary_text` parts: where the gateway puts a chat upstream's reasoning,
 * response-envelope.ts). Encrypted content is another provider's and is not read.
 */
function reasoningText(item: ResponsesItem): string {
  const content = partsText(item.content);
  return content !== "" ? content : partsText(item.summary);
}

function partsText(parts: unknown): string {
  if (!Array.isArray(parts)) return "";
  return parts
    .flatMap((part) =>
      isJsonObject(part) && typeof part.text === "string" && part.text !== "" ? [part.text] : [],
    )
    .join("\n\n");
}
