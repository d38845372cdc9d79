import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { objectsOf, parsedArguments, textOf, textOrNull } from "../../translate/answer/loose-json.ts";
import { toolResultText } from "./chat-messages.ts";
import {
  filePart,
  type GenAiMessage,
  type GenAiPart,
  genericPart,
  reasoningPart,
  textPart,
  toolCallPart,
  toolResponsePart,
  urlPart,
} from "./genai-parts.ts";

// Responses API items (a request's `input`, a response's `output`) as GenAI messages.

/** One content part of a message item. */
function contentPart(part: JsonObject): GenAiPart {
  switch (part.type) {
    case "input_text":
    case "output_text":
    case "text":
      return textPart(textOf(part.text));
    case "refusal":
      return textPart(textOf(part.refusal));
    case "input_image":
      if (typeof part.file_id === "string") return filePart(part.file_id, "image");
      return urlPart(textOf(part.image_url), "image");
    case "input_file":
      if (typeof part.file_id === "string") return filePart(part.file_id, "document");
      return urlPart(textOf(part.file_data) || textOf(part.file_url), "document");
    default:
      return genericPart(textOf(part.type) || "unknown");
  }
}

const contentParts = (content: unknown): GenAiPart[] =>
  typeof content === "string"
    ? content === ""
      ? []
      : [textPart(content)]
    : objectsOf(content).map(contentPart);

/** A reasoning item's text: its summary, else its content (the raw reasoning some servers send). */
const reasoningText = (item: JsonObject) =>
  objectsOf(item.summary)
    .map((part) => textOf(part.text))
    .join("\n") ||
  objectsOf(item.content)
    .map((part) => textOf(part.text))
    .join("\n");

/** Who an item is from and its parts; a message item's own role, the model's or a tool's for the rest. */
function itemParts(item: JsonObject): { role: string; parts: GenAiPart[] } {
  const type = textOf(item.type) || "message";
  const id = textOrNull(item.call_id);
  switch (type) {
    case "message":
      return { role: textOf(item.role) || "user", parts: contentParts(item.content) };
    case "function_call":
      return {
        role: "assistant",
        parts: [toolCallPart(id, textOf(item.name), parsedArguments(item.arguments))],
      };
    case "custom_tool_call":
      return { role: "assistant", parts: [toolCallPart(id, textOf(item.name), item.input ?? null)] };
    case "reasoning": {
      const text = reasoningText(item);
      return { role: "assistant", parts: text ? [reasoningPart(text)] : [genericPart("reasoning")] };
    }
    default:
      // Every `*_output` item answers a call (`function_call_output`, `custom_tool_call_output`,
      // `computer_call_output`…); every other one is the model's (a built-in tool's call, a
      // compaction, a reference to an earlier item).
      if (type.endsWith("_output"))
        return { role: "tool", parts: [toolResponsePart(id, outputOf(item.output))] };
      return { role: "assistant", parts: [genericPart(type)] };
  }
}

/** A call's output: text as sent, or the text of its parts. */
const outputOf = (output: unknown) => (isJsonObject(output) ? output : toolResultText(output));

/**
 * Items as messages, in order. Items that are not messages (a call, its output, a reasoning
 * summary) join the message before them when it is of the same role: one turn of the model
 * (its reasoning, words and calls) is one message, as the conventions write it.
 */
export function itemMessages(items: unknown): GenAiMessage[] {
  const messages: { role: string; parts: GenAiPart[] }[] = [];
  let lastWasMessage = false;
  for (const item of objectsOf(items)) {
    const { role, parts } = itemParts(item);
    const isMessage = (textOf(item.type) || "message") === "message";
    const last = messages.at(-1);
    if (last && last.role === role && (!isMessage || !lastWasMessage)) last.parts.push(...parts);
    else messages.push({ role, parts });
    lastWasMessage = isMessage;
  }
  return messages;
}

/** A request's `input`: one user text, or items. */
export const responsesInputMessages = (input: unknown): GenAiMessage[] =>
  typeof input === "string" ? [{ role: "user", parts: [textPart(input)] }] : itemMessages(input);

/** `instructions`: a text, or (as a stored response echoes them) message items. */
export const instructionParts = (instructions: unknown): GenAiPart[] =>
  typeof instructions === "string"
    ? [textPart(instructions)]
    : itemMessages(instructions).flatMap((message) => message.parts);

/** Why a response ended, in the conventions' words. */
function responseFinish(response: JsonObject, parts: readonly GenAiPart[]): string {
  if (response.status === "completed")
    return parts.some((part) => part.type === "tool_call") ? "tool_call" : "stop";
  if (response.status === "incomplete") {
    const reason = isJsonObject(response.incomplete_details) ? response.incomplete_details.reason : undefined;
    // `max_output_tokens`, or `content_filter` as the conventions name it too.
    return reason === "content_filter" ? reason : "length";
  }
  return "error";
}

/** A response's output: one choice, so one message of every output item's parts. */
export function responseOutputMessages(response: JsonObject): GenAiMessage[] {
  const parts = itemMessages(response.output).flatMap((message) => message.parts);
  return [{ role: "assistant", parts, finish_reason: responseFinish(response, parts) }];
}
