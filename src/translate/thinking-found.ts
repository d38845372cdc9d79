import type { JsonObject } from "../core/dialect.ts";
import { isAssistantTurn } from "./assistant-turns.ts";
import { thinkingMode, turnToMend } from "./thinking-back.ts";
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
 * Messages call to Claude or DeepSeek, nearly all of which hold neither, so indexed loops, nothing
 * made, and it stops once it found both.
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
      const blocks = message.content;
      for (let j = 0; j < blocks.length && !unsigned; j++) unsigned = isUnsigned(blocks[j]);
      toMend ||= turnToMend(message, thinks);
    }
  }
  found.unsignedThinking = unsigned;
  found.thinkingToMend = toMend;
}
