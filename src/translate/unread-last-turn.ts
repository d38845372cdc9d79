import { badRequest } from "../core/gateway-error.ts";
import type { OpenAIMessage } from "./openai-schema.ts";

/** How a target's 400 names it and what it does with a conversation that ends on the model's turn. */
export interface UnreadTurnWords {
  /** The model, as the 400 names it ("Claude", "Gemini", "Bedrock"). */
  readonly model: string;
  /** What becomes of the conversation so ended ("which Claude continues as a prefill"). */
  readonly endingOnModel: string;
}

/**
 * A conversation whose last user message left nothing (blank text, a blank text file, a file by
 * id: each left out by every translation) is the caller's 400 naming it, where the turns would end
 * on the model's, which the target continues as a prefill or refuses, or on none. A blank one after
 * another user turn goes without: the conversation still ends on the user's words. `turns` as the
 * translation wrote them, the user's role named `user`.
 */
export function refuseUnreadLastTurn(
  messages: readonly OpenAIMessage[],
  turns: ReadonlyArray<{ role: string }>,
  words: UnreadTurnWords,
): void {
  const i = messages.findLastIndex((message) => message.role !== "system" && message.role !== "developer");
  if (messages[i]?.role !== "user" || turns.at(-1)?.role === "user") return;
  const without =
    turns.length === 0
      ? "no message would be left"
      : `the conversation would end with the assistant's turn, ${words.endingOnModel}`;
  throw badRequest(
    `messages.${i}: no content ${words.model} can read (blank text, a blank text file and a file by id are left out); left out, ${without}: give it some text`,
    `messages.${i}`,
  );
}
