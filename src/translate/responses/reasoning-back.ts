import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import {
  noteThinking,
  signatureFor,
  THINKING_SEPARATOR,
  type ThinkingBlock,
  thinkingOf,
} from "../thinking-blocks.ts";
import type { ResponsesItem } from "./responses-schema.ts";

/**
 * A conversation's `reasoning` items back on the assistant turns they went with, for a chat
 * upstream that wants its reasoning back (`ChatUpstreamNeeds.reasoningBack`: DeepSeek's thinking
 * mode): a reasoning item's text waits for the next assistant message (its text, or the tool calls
 * it carries) and becomes that message's `reasoning_content`, several joined by a blank line. An
 * item that carries a signature the conversation's server wrote (thinking-blocks.ts) has the
 * message's blocks noted beside it, each with its signature, for that server
 * (chat-request-to-messages.ts); another server's signature is not sent. A
 * tool-call turn without reasoning (a turn another route answered) carries it empty, as DeepSeek
 * refuses one without it.
 */
export class ReasoningBack {
  private held: ThinkingBlock[] = [];

  /** `signer`: the provider the conversation goes to, when a signature it wrote goes back with its block. */
  constructor(private readonly signer?: string) {}

  /** A reasoning item: its text and signature (`signer`'s alone, else none), held for the next assistant message. */
  hold(item: ResponsesItem): void {
    const thinking = reasoningText(item);
    const signature =
      this.signer === undefined ? "" : (signatureFor(item.encrypted_content, this.signer) ?? "");
    if (thinking !== "" || signature !== "") this.held.push({ thinking, signature });
  }

  /** `message` is the assistant message an item of the turn went into: it takes what is held. */
  landed(message: JsonObject | undefined): void {
    if (this.held.length === 0 || message?.role !== "assistant") return;
    const said = message.reasoning_content;
    const before =
      thinkingOf(message) ?? (typeof said === "string" ? [{ thinking: said, signature: "" }] : []);
    const blocks = [...before, ...this.held];
    message.reasoning_content = blocks
      .map((block) => block.thinking)
      .filter((thinking) => thinking !== "")
      .join(THINKING_SEPARATOR);
    if (blocks.some((block) => block.signature !== "")) noteThinking(message, blocks);
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
 * response-envelope.ts). Encrypted content is read only for the signature the gateway put there (`hold`).
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
