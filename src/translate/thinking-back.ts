import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { type AssistantTurn, assistantTurnsRewritten } from "./assistant-turns.ts";
import type { Dropped } from "./dropped.ts";
import { isRedacted } from "./unsigned-thinking.ts";
import { unsignedThinkingBlock } from "./unsigned-thinking-block.ts";

/**
 * A Messages request as a server that is no Claude but takes thinking back (DeepSeek's
 * `/anthropic`: `Provider.takesUnsignedThinking`) takes it. Its `thinking` blocks go as they are,
 * signed or not. Claude's `redacted_thinking` blocks, which such a server does not take (DeepSeek's
 * compatibility table: `thinking` supported, `redacted_thinking` not), are left out, each named; an
 * assistant turn left with no block goes too. In thinking mode (DeepSeek's default), a tool-call
 * turn without a thinking block — one a route answered without reasoning, or one whose only
 * thinking was redacted — leads with an empty unsigned one, as a chat caller's does
 * (chat-request-to-messages.ts): DeepSeek refuses a tool-call turn without its thinking (400
 * "The `content[].thinking` in the thinking mode must be passed back to the API").
 * The body itself when nothing changed (`lookForThinking` tells first, making nothing: thinking-found.ts).
 */
export function withThinkingBack(body: JsonObject, dropped: Dropped): JsonObject {
  const thinks = thinkingMode(body);
  const kept = assistantTurnsRewritten(body, (turn, i) => turnTaken(turn, i, thinks, dropped));
  return kept === undefined ? body : { ...body, messages: kept };
}

/**
 * The turn's blocks as the server takes them; undefined when that is as they are. Whether it
 * changes a turn is asked first of each block as it is read (thinking-found.ts `lookForThinking`):
 * a change here is one there (thinking-found.test.ts).
 */
function turnTaken(turn: AssistantTurn, i: number, thinks: boolean, dropped: Dropped): unknown[] | undefined {
  const blocks = turn.content;
  let kept: unknown[] | undefined;
  for (let j = 0; j < blocks.length; j++) {
    const block = blocks[j];
    if (isRedacted(block)) {
      kept ??= blocks.slice(0, j);
      dropped.add(`content.${block.type}`, `messages.${i}.content.${j}`, REDACTED);
    } else kept?.push(block);
  }
  const taken = kept ?? blocks;
  if (!thinks || !holds(taken, "tool_use") || holds(taken, "thinking")) return kept;
  return [unsignedThinkingBlock(""), ...taken];
}

const REDACTED = "is Claude's encrypted thinking, which the route's server does not take";

/** Thinking mode is the server's default: only `thinking: {type: "disabled"}` turns it off. */
export const thinkingMode = (body: JsonObject): boolean =>
  !(isJsonObject(body.thinking) && body.thinking.type === "disabled");

const holds = (blocks: readonly unknown[], type: string): boolean =>
  blocks.some((block) => isJsonObject(block) && block.type === type);
