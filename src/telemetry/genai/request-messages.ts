import type { JsonObject, Operation } from "../../core/dialect.ts";
import { objectsOf } from "../../translate/answer/loose-json.ts";
import { anthropicMessages, blockParts } from "./anthropic-blocks.ts";
import { chatMessage } from "./chat-messages.ts";
import { type GenAiMessage, type GenAiPart, textPart } from "./genai-parts.ts";
import { instructionParts, responsesInputMessages } from "./responses-items.ts";

/** What a request gave the model: instructions apart from the chat history, and the history. */
export interface RequestMessages {
  /** `gen_ai.system_instructions`: Anthropic's `system`, the Responses API's `instructions`. */
  readonly system: GenAiPart[];
  /** `gen_ai.input.messages`, in order; a chat request's system messages among them, as sent. */
  readonly messages: GenAiMessage[];
}

/** A prompt or an embedding input: a text, or several (token arrays have no text to show). */
function promptMessages(prompt: unknown): GenAiMessage[] {
  const texts =
    typeof prompt === "string"
      ? [prompt]
      : Array.isArray(prompt)
        ? prompt.filter((p) => typeof p === "string")
        : [];
  return texts.length === 0 ? [] : [{ role: "user", parts: texts.map(textPart) }];
}

/** A request body in its operation's dialect as GenAI messages. */
export function requestMessages(operation: Operation, body: JsonObject): RequestMessages {
  switch (operation) {
    case "chat":
      return { system: [], messages: objectsOf(body.messages).map(chatMessage) };
    case "completions":
      return { system: [], messages: promptMessages(body.prompt) };
    case "embeddings":
      return { system: [], messages: promptMessages(body.input) };
    case "responses":
      return {
        system: body.instructions == null ? [] : instructionParts(body.instructions),
        messages: responsesInputMessages(body.input),
      };
    case "messages":
    case "count_tokens":
      return {
        system: body.system == null ? [] : blockParts(body.system),
        messages: anthropicMessages(body.messages),
      };
  }
}
