import { isJsonObject, type JsonObject } from "../../core/dialect.ts";

/**
 * A chat `url_citation` annotation (url-citation.ts) as a Responses output_text part's, flat
 * (`{type, url, title, start_index, end_index}`, as openai-node's `ResponseOutputText.URLCitation`).
 * Both index the text in UTF-16 code units; the chat one indexes the whole message's content, and
 * the part holds it from `from` on (a message a call cut in two, calls-in-text.ts), so its indexes
 * are moved by that, and one that lies outside the part's `length` is not the part's. Any other
 * kind of annotation (none a translation writes) is left out.
 */
export function responsesAnnotation(chat: unknown, from: number, length: number): JsonObject | undefined {
  if (!isJsonObject(chat) || chat.type !== "url_citation" || !isJsonObject(chat.url_citation))
    return undefined;
  const { url, title, start_index: start, end_index: end } = chat.url_citation;
  if (typeof url !== "string" || typeof start !== "number" || typeof end !== "number") return undefined;
  if (start < from || end - from > length) return undefined;
  return {
    type: "url_citation",
    url,
    title: typeof title === "string" ? title : "",
    start_index: start - from,
    end_index: end - from,
  };
}
