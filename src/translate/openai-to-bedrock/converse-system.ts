import type { JsonObject } from "../../core/dialect.ts";

/**
 * The models Converse serves without a system prompt — its supported-features table's "System
 * prompts: No" (Amazon Titan's text models, Cohere Command and Command Light), and Mistral 7B
 * Instruct and Mixtral 8x7B Instruct, which answer so — by base id or inference profile. Each
 * refuses a request with `system` whole: 400 ValidationException "This model doesn't support
 * system messages. Try again without a system message or use a model that supports system
 * messages."
 */
const WITHOUT_SYSTEM =
  /amazon\.titan-(?:text|tg1)|cohere\.command-(?:light-)?text|mistral-7b-instruct|mixtral-8x7b-instruct/i;

/** A Converse message: its role and content blocks. */
export interface ConverseTurn {
  role: "user" | "assistant";
  content: JsonObject[];
}

/**
 * The system prompt's blocks as Converse's `system`, or, to a model that takes none, put at the head
 * of the conversation's first user turn (one made for them when it opens with the assistant's),
 * their text blocks before the user's, as LiteLLM sends them: the instructions reach the model
 * ahead of all the user said, where refusing the request or leaving them out would answer another
 * call. Claude Code, the Agents SDK and most apps send one on every request. Undefined: no `system`.
 */
export function converseSystem(
  model: string,
  system: JsonObject[],
  turns: ConverseTurn[],
): JsonObject[] | undefined {
  if (system.length === 0) return undefined;
  if (!WITHOUT_SYSTEM.test(model)) return system;
  const first = turns[0];
  if (first?.role === "user") first.content.unshift(...system);
  else turns.unshift({ role: "user", content: system });
  return undefined;
}
