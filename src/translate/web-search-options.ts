import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";

/**
 * Chat's `web_search_options` as asked: an object (`{}` asks for search as OpenAI's defaults do),
 * undefined for null or none, which ask nothing; anything else is the caller's 400.
 */
export function webSearchAsked(options: unknown): JsonObject | undefined {
  if (options == null) return undefined;
  if (!isJsonObject(options)) throw badRequest("web_search_options: must be an object", "web_search_options");
  return options;
}
