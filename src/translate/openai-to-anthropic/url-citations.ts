import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { urlCitation } from "../url-citation.ts";

/**
 * A Messages text block's web search citations (`web_search_result_location`, which Anthropic's
 * web_search tool gives) as chat's `url_citation` annotations over the block's text, `start` to
 * `end` in the message's `content` (UTF-16 indexes, as the caller's string has them). Other
 * citations (a document's page or characters) have no chat form and are left out.
 */
export function urlCitations(citations: unknown, start: number, end: number): JsonObject[] {
  if (!Array.isArray(citations)) return [];
  return citations.flatMap((citation): JsonObject[] => {
    if (!isJsonObject(citation) || citation.type !== "web_search_result_location") return [];
    if (typeof citation.url !== "string") return [];
    const title = typeof citation.title === "string" ? citation.title : "";
    return [urlCitation(citation.url, title, start, end)];
  });
}
