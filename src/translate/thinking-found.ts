import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { isAssistantTurn } from "./assistant-turns.ts";
import { thinkingMode } from "./thinking-back.ts";
import { isUnsigned } from "./unsigned-thinking.ts";

/**
 * What a Messages conversation's assistant turns hold of thinking that some route must change;
 * undefined until looked for (`lookForThinking`).
 */
export interface ThinkingFound {
  /** Thinking Claude did not sign, which a call to Claude leaves out (`withoutUnsignedThinking`). */
  unsignedThinking?: boolean | undefined;
  /**
   * Thinking a server that takes it back mends (`withThinkingBack`): Claude's `redacted_thinking`,
   * or, in thinking mode, a tool-call turn without thinking.
   */
  thinkingToMend?: boolean | undefined;
}

/**
 * Looks through the assistant turns once for both, setting `found`'s fields: asked of every
 * Messages call to Claude or DeepSeek, nearly all of which hold neither, so each block is read
 * once, by indexed loops, nothing made, and it stops once it found both. Both are answered whichever
 * route asked: past the block's type, which both read, the other's question is a comparison or two,
 * where a failover from Claude to DeepSeek (or back) would look through the whole conversation again.
 */
export function lookForThinking(body: JsonObject, found: ThinkingFound): void {
  let unsigned = false;
  let toMend = false;
  const messages = body.messages;
  if (Array.isArray(messages)) {
    const thinks = thinkingMode(body);
    for (let i = 0; i < messages.length && !(unsigned && toMend); i++) {
      const message: unknown = messages[i];
      if (!isAssistantTurn(message)) continue;
      // What `withThinkingBack` mends (thinking-back.ts `turnTaken`): a redacted block, or in
      // thinking mode a turn that calls a tool without a thinking block.
      let calls = false;
      let thought = false;
      const blocks = message.content;
      for (let j = 0; j < blocks.length; j++) {
        const block = blocks[j];
        if (!isJsonObject(block)) continue;
        switch (block.type) {
          case "tool_use":
            calls = true;
            break;
          case "thinking":
            thought = true;
            unsigned ||= isUnsigned(block);
            break;
          case "redacted_thinking":
            toMend = true;
            unsigned ||= isUnsigned(block);
        }
      }
      toMend ||= thinks && calls && !thought;
    }
  }
  found.unsignedThinking = unsigned;
  found.thinkingToMend = toMend;
}
