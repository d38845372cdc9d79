import type { JsonObject } from "../core/dialect.ts";
import { plainCallId } from "./openai-to-gemini/gemini-call-id.ts";

// A chat `tool` message carries only text, so the images and files a tool returned (a screenshot,
// a PDF) follow the run of `tool` messages in a user message, each result's behind a line naming
// its call: a user message between two tool messages would break the run OpenAI requires. One rule
// for every translation to chat that meets them: Anthropic's `tool_result` blocks (anthropic-to-
// openai/user-content-to-chat.ts) and the Responses API's `function_call_output` items.

/** What a result's attachments are called: images, or files when any is not an image. */
const called = (attached: readonly JsonObject[]): string =>
  attached.every((part) => part.type === "image_url") ? "images" : "files";

/** A tool result's text as its `tool` message says it: a result of attachments alone says where they went. */
export const toolResultText = (text: string, attached: readonly JsonObject[]): string =>
  text === "" && attached.length > 0 ? `(${called(attached)}: in the next message)` : text;

/**
 * A tool result's images and files as parts of the user message after the run, behind a line naming
 * its call: by the id the upstream knows it by, without the Gemini thought signature a caller's id
 * may carry (gemini-call-id.ts), which the model would read as text, and which Gemini's
 * `functionResponse.id` does not carry either.
 */
export function imagesAfterTools(callId: string, attached: readonly JsonObject[]): JsonObject[] {
  if (attached.length === 0) return [];
  const heading = called(attached) === "images" ? "Images" : "Files";
  return [
    { type: "text", text: `${heading} from the result of tool call ${plainCallId(callId)}:` },
    ...attached,
  ];
}
