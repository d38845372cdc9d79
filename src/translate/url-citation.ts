import type { JsonObject } from "../core/dialect.ts";

/**
 * Chat's `url_citation` annotation: a web source of the message's `content` from `start` to `end`
 * (UTF-16 indexes, as the caller's string has them), as OpenAI's search models give them.
 */
export const urlCitation = (url: string, title: string, start: number, end: number): JsonObject => ({
  type: "url_citation",
  url_citation: { url, title, start_index: start, end_index: end },
});
