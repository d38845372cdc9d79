import type { JsonObject } from "../core/dialect.ts";

// A chat `tool` message carries only text, so the images a tool returned (a screenshot) follow the
// run of `tool` messages in a user message, each result's behind a line naming its call: a user
// message between two tool messages would break the run OpenAI requires. One rule for every
// translation to chat that meets them: Anthropic's `tool_result` blocks (anthropic-to-openai/
// user-content-to-chat.ts) and the Responses API's `function_call_output` items.

/** A tool result's text as its `tool` message says it: a result of images alone says where they went. */
export const toolResultText = (text: string, images: readonly JsonObject[]): string =>
  text === "" && images.length > 0 ? "(images: in the next message)" : text;

/** A tool result's images as parts of the user message after the run, behind a line naming its call. */
export const imagesAfterTools = (callId: string, images: readonly JsonObject[]): JsonObject[] =>
  images.length === 0
    ? []
    : [{ type: "text", text: `Images from the result of tool call ${callId}:` }, ...images];
