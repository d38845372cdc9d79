import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { Dropped } from "../dropped.ts";
import { isUnset } from "../uncarried-fields.ts";
import type { ResponsesTool } from "./responses-schema.ts";

/** The Responses tool types that ask OpenAI's web search, dated or not (openai-node `WebSearchTool`). */
const WEB_SEARCH_TYPES = new Set([
  "web_search",
  "web_search_2025_08_26",
  "web_search_preview",
  "web_search_preview_2025_03_11",
]);

export const isWebSearchTool = (tool: ResponsesTool): boolean => WEB_SEARCH_TYPES.has(tool.type);

/** The fields of a Responses `user_location` that chat's `user_location.approximate` has. */
const LOCATION_FIELDS = ["city", "region", "country", "timezone"] as const;

/**
 * A Responses `web_search` tool (at `path`) as chat's `web_search_options`, for a target that
 * searches (ChatUpstreamNeeds.webSearch): `search_context_size` as it is, the flat
 * `user_location` under chat's `approximate`. `filters` (allowed domains) has no chat field: named.
 */
export function webSearchOptionsOf(tool: ResponsesTool, path: string, dropped: Dropped): JsonObject {
  const options: JsonObject = {};
  if (!isUnset(tool.search_context_size)) options.search_context_size = tool.search_context_size;
  if (isJsonObject(tool.user_location)) {
    const approximate: JsonObject = {};
    for (const field of LOCATION_FIELDS) {
      const value = tool.user_location[field];
      if (typeof value === "string") approximate[field] = value;
    }
    options.user_location = { type: "approximate", approximate };
  }
  if (!isUnset(tool.filters))
    dropped.add(
      "tools.web_search.filters",
      `${path}.filters`,
      "has no equivalent in chat's web_search_options, which the upstream is asked by",
    );
  return options;
}
