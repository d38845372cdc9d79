import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { objectsOf, parsedArguments, textOf, textOrNull } from "../../translate/answer/loose-json.ts";
import {
  blobPart,
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

// OpenAI chat messages (a request's `messages`, an answer's `choices[].message`) as GenAI messages.

/** One chat content part. */
function contentPart(part: JsonObject): GenAiPart {
  switch (part.type) {
    case "text":
      return textPart(textOf(part.text));
    case "refusal":
      return textPart(textOf(part.refusal));
    case "image_url": {
      const image = part.image_url;
      return urlPart(isJsonObject(image) ? textOf(image.url) : textOf(image), "image");
    }
    case "input_audio": {
      const audio = isJsonObject(part.input_audio) ? part.input_audio : {};
      return blobPart(textOf(audio.data), `audio/${textOf(audio.format) || "wav"}`, "audio");
    }
    case "file": {
      const file = isJsonObject(part.file) ? part.file : {};
      if (typeof file.file_id === "string") return filePart(file.file_id, "document");
      return urlPart(textOf(file.file_data), "document");
    }
    default:
      return genericPart(textOf(part.type) || "unknown");
  }
}

/** Chat content: a string, or a list of parts. */
export function chatContentParts(content: unknown): GenAiPart[] {
  if (typeof content === "string") return content === "" ? [] : [textPart(content)];
  return objectsOf(content).map(contentPart);
}

/** A tool's result as sent back: its text (the text parts of a list, joined). */
export const toolResultText = (content: unknown): string =>
  typeof content === "string"
    ? content
    : objectsOf(content)
        .map((part) => textOf(part.text))
        .join("");

/** One chat message; a tool's message is its call's response. */
export function chatMessage(message: JsonObject): GenAiMessage {
  const role = textOf(message.role) || "assistant";
  const name = typeof message.name === "string" ? { name: message.name } : {};
  if (role === "tool" || role === "function") {
    const id = textOrNull(message.tool_call_id);
    return { role: "tool", parts: [toolResponsePart(id, toolResultText(message.content))], ...name };
  }
  // DeepSeek and vLLM say `reasoning_content`, OpenRouter and Ollama `reasoning`.
  const reasoning = textOf(message.reasoning_content) || textOf(message.reasoning);
  const calls = objectsOf(message.tool_calls).map((call) => {
    const fn = isJsonObject(call.function) ? call.function : {};
    return toolCallPart(textOrNull(call.id), textOf(fn.name), parsedArguments(fn.arguments));
  });
  const legacyCall = isJsonObject(message.function_call)
    ? [
        toolCallPart(
          null,
          textOf(message.function_call.name),
          parsedArguments(message.function_call.arguments),
        ),
      ]
    : [];
  const refusal = textOf(message.refusal);
  return {
    role,
    parts: [
      ...(reasoning ? [reasoningPart(reasoning)] : []),
      ...chatContentParts(message.content),
      ...(refusal ? [textPart(refusal)] : []),
      ...calls,
      ...legacyCall,
    ],
    ...name,
  };
}
