import type { JsonObject } from "../core/dialect.ts";
import { GatewayError } from "../core/gateway-error.ts";

/** The lists OpenAI's chat API wants at least one item in, when given, in the order it judges them. */
const NOT_EMPTY = ["messages", "tools"] as const;

/**
 * Refuses a chat request with no messages, or an empty list of tools, as OpenAI's API does (400
 * `empty_array`, its words): a translation would send Anthropic or Gemini an empty conversation,
 * refused in that API's words after a call, or no tools and answer 200.
 */
export function refuseEmptyLists(body: JsonObject): void {
  for (const field of NOT_EMPTY) {
    const list = body[field];
    if (!Array.isArray(list) || list.length > 0) continue;
    throw new GatewayError({
      status: 400,
      code: "empty_array",
      message: `Invalid '${field}': empty array. Expected an array with minimum length 1, but got an empty array instead.`,
      param: field,
    });
  }
}
