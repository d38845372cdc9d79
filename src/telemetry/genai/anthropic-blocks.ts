import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { objectsOf, textOf, textOrNull } from "../../translate/answer/loose-json.ts";
import { openAIFinishReason } from "../../translate/openai-to-anthropic/finish-reason.ts";
import { toolResultText } from "./chat-messages.ts";
import {
  blobPart,
  filePart,
  finishReasonOf,
  type GenAiMessage,
  type GenAiPart,
  genericPart,
  reasoningPart,
  textPart,
  toolCallPart,
  toolResponsePart,
  urlPart,
} from "./genai-parts.ts";

// Anthropic Messages content blocks (a request's `system` and `messages`, an answer's `content`)
// as GenAI parts and messages.

/** An image's or a document's `source`. */
function sourcePart(source: unknown, modality: string): GenAiPart {
  if (!isJsonObject(source)) return genericPart(modality);
  const mimeType = textOrNull(source.media_type);
  switch (source.type) {
    case "base64":
      return blobPart(textOf(source.data), mimeType, modality);
    case "url":
      return urlPart(textOf(source.url), modality, mimeType);
    case "file":
      return filePart(textOf(source.file_id), modality, mimeType);
    case "text":
      return textPart(textOf(source.data));
    default:
      return genericPart(modality);
  }
}

/** One content block. */
export function blockPart(block: JsonObject): GenAiPart {
  switch (block.type) {
    case "text":
      return textPart(textOf(block.text));
    case "thinking":
      return reasoningPart(textOf(block.thinking));
    case "tool_use":
      return toolCallPart(textOrNull(block.id), textOf(block.name), block.input ?? null);
    case "tool_result":
      return toolResponsePart(textOrNull(block.tool_use_id), toolResultText(block.content));
    case "image":
      return sourcePart(block.source, "image");
    case "document":
      return sourcePart(block.source, "document");
    default:
      // A redacted thought, a server tool's call and result, a container upload: their type alone.
      return genericPart(textOf(block.type) || "unknown");
  }
}

/** Content: a string, or blocks. */
export const blockParts = (content: unknown): GenAiPart[] =>
  typeof content === "string"
    ? content === ""
      ? []
      : [textPart(content)]
    : objectsOf(content).map(blockPart);

/** A request's `messages`. */
export const anthropicMessages = (messages: unknown): GenAiMessage[] =>
  objectsOf(messages).map((message) => ({
    role: textOf(message.role) || "user",
    parts: blockParts(message.content),
  }));

/** A message answer: one choice. A stop reason missing (a stream cut short) is an error. */
export function anthropicOutputMessages(message: JsonObject): GenAiMessage[] {
  const stop = message.stop_reason;
  return [
    {
      role: textOf(message.role) || "assistant",
      parts: blockParts(message.content),
      finish_reason: typeof stop === "string" ? finishReasonOf(openAIFinishReason(stop)) : "error",
    },
  ];
}
