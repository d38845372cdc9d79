import type { JsonObject } from "../../core/dialect.ts";
import type { Dropped } from "../dropped.ts";
import { isUnset } from "../uncarried-fields.ts";
import { webSearchAsked } from "../web-search-options.ts";

/**
 * Chat's `web_search_options` as Gemini's Google Search grounding: a `googleSearch` tool, which
 * the Gemini API and Vertex AI both take (Gemini 2.0 and later; 1.5's `googleSearchRetrieval` is
 * not written). Null asks nothing.
 */
export const googleSearchTool = (options: unknown): JsonObject | undefined =>
  webSearchAsked(options) === undefined ? undefined : { googleSearch: {} };

/**
 * What of `web_search_options` the tool has no setting for, named (`ChatTarget.namesLeftOut`):
 * `search_context_size`, how much of the pages the model reads, and `user_location`, a city and
 * country where Google's one place setting (`toolConfig.retrievalConfig.latLng`) is coordinates.
 */
export function nameUnsearchable(body: JsonObject, dropped: Dropped): void {
  const options = webSearchAsked(body.web_search_options);
  if (options === undefined) return;
  for (const field of ["search_context_size", "user_location"])
    if (!isUnset(options[field]))
      dropped.add(
        `web_search_options.${field}`,
        `web_search_options.${field}`,
        "has no equivalent in Gemini's Google Search tool",
      );
}
