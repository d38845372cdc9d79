import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { Dropped } from "../dropped.ts";
import { webSearchAsked } from "../web-search-options.ts";

/** The fields of chat's `user_location.approximate` that Anthropic's `user_location` has too. */
const LOCATION_FIELDS = ["city", "region", "country", "timezone"] as const;

/**
 * Chat's `web_search_options` as Anthropic's web_search server tool. `web_search_20250305`, the
 * version every Claude with web search takes (the later ones filter results with code execution,
 * which older models lack). `{}` asks for search as OpenAI's defaults do, so it is a tool too;
 * null asks nothing. `user_location.approximate` becomes the tool's `user_location`;
 * `search_context_size`, how much of the pages the model reads, has no equivalent: named.
 */
export function webSearchTool(asked: unknown, dropped: Dropped): JsonObject | undefined {
  const options = webSearchAsked(asked);
  if (options === undefined) return undefined;
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
