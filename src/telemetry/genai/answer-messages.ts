import { isJsonObject, type JsonObject, type Operation } from "../../core/dialect.ts";
import { objectsOf, textOf } from "../../translate/answer/loose-json.ts";
import { anthropicOutputMessages } from "./anthropic-blocks.ts";
import { chatMessage } from "./chat-messages.ts";
import { finishReasonOf, type GenAiMessage, textPart } from "./genai-parts.ts";
import { responseOutputMessages } from "./responses-items.ts";

/** Choices in their index order (a stream may finish them in any). */
const inOrder = (choices: unknown) =>
  objectsOf(choices).sort((a, b) => (Number(a.index) || 0) - (Number(b.index) || 0));

/**
 * `gen_ai.output.messages` of a whole answer in its operation's dialect: one message a choice.
 * None for an error body, and none for embeddings and token counts, which generate no message.
 */
export function answerMessages(operation: Operation, answer: JsonObject): GenAiMessage[] {
  switch (operation) {
    case "chat":
      return inOrder(answer.choices).map((choice) => ({
        ...chatMessage(isJsonObject(choice.message) ? choice.message : {}),
        finish_reason: finishReasonOf(choice.finish_reason),
      }));
    case "completions":
      return inOrder(answer.choices).map((choice) => ({
        role: "assistant",
        parts: [textPart(textOf(choice.text))],
        finish_reason: finishReasonOf(choice.finish_reason),
      }));
    case "responses":
      return answer.object === "response" || Array.isArray(answer.output)
        ? responseOutputMessages(answer)
        : [];
    case "messages":
      return answer.type === "message" ? anthropicOutputMessages(answer) : [];
    case "embeddings":
    case "count_tokens":
      return [];
  }
}
