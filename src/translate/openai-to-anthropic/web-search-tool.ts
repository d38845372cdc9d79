import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import type { Dropped } from "../dropped.ts";

/** The fields of chat's `user_location.approximate` that Anthropic's `user_location` has too. */
const LOCATION_FIELDS = ["city", "region", "country", "timezone"] as const;

/**
 * Chat's `web_search_options` as Anthropic's web_search server tool. `web_search_20250305`, the
 * version every Claude with web search takes (the later ones filter results with code execution,
 * which older models lack). `{}` asks for search as OpenAI's defaults do, so it is a tool too;
 * null asks nothing. `user_location.approximate` becomes the tool's `user_location`;
 * `search_context_size`, how much of the pages the model reads, has no equivalent: named.
 */
export function webSearchTool(options: unknown, dropped: Dropped): JsonObject | undefined {
  if (options == null) return undefined;
  if (!isJsonObject(options)) throw badRequest("web_search_options: must be an object", "web_search_options");
  const tool: JsonObject = { type: "web_search_20250305", name: "web_search" };
  const approximate = isJsonObject(options.user_location) ? options.user_location.approximate : undefined;
  if (isJsonObject(approximate)) {
    const location: JsonObject = { type: "approximate" };
    for (const field of LOCATION_FIELDS)
      if (typeof approximate[field] === "string") location[field] = approximate[field];
    tool.user_location = location;
  }
  if (options.search_context_size != null)
    dropped.add(
      "web_search_options.search_context_size",
      "web_search_options.search_context_size",
      "has no equivalent in Anthropic's web_search tool",
    );
  return tool;
}
