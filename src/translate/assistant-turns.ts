import { isJsonObject, type JsonObject } from "../core/dialect.ts";

/** An assistant message whose content is a list of blocks. */
export type AssistantTurn = JsonObject & { role: "assistant"; content: unknown[] };

export const isAssistantTurn = (message: unknown): message is AssistantTurn =>
  isJsonObject(message) && message.role === "assistant" && Array.isArray(message.content);

/**
 * The conversation with each assistant turn's blocks as `rewrite` gives them (undefined: as they
 * are; none: the turn goes), or undefined when it gives none: the body's own list, nothing made.
 */
export function assistantTurnsRewritten(
  body: JsonObject,
  rewrite: (turn: AssistantTurn, i: number) => unknown[] | undefined,
): unknown[] | undefined {
  const messages = body.messages;
  if (!Array.isArray(messages)) return undefined;
  let kept: unknown[] | undefined;
  for (let i = 0; i < messages.length; i++) {
    const message: unknown = messages[i];
    const content = isAssistantTurn(message) ? rewrite(message, i) : undefined;
    if (content === undefined) kept?.push(message);
    else {
      kept ??= messages.slice(0, i);
      if (content.length > 0) kept.push({ ...(message as JsonObject), content });
    }
  }
  return kept;
}
