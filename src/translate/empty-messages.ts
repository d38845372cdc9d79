import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";

/**
 * Refuses a chat request with no messages, as OpenAI's API does (400 `empty_array`, its words): a
 * translation would send Anthropic or Gemini an empty conversation, refused in that API's words
 * after a call. (An empty list of tools asks for nothing: settings-asking-nothing.ts.)
 */
export function refuseEmptyMessages(body: JsonObject): void {
  if (!Array.isArray(body.messages) || body.messages.length > 0) return;
  throw new GatewayError({
    status: 400,
    code: "invalid_request",
    message:
      "Invalid 'messages': empty array. Expected an array with minimum length 1, but got an empty array instead.",
    param: "messages",
    openAICode: "empty_array",
  });
}
