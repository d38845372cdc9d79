import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { badRequest } from "../../core/gateway-error.ts";
import type { ChatUpstreamNeeds } from "../chat-upstream-needs.ts";
import type { Dropped } from "../dropped.ts";
import { type Block, blockSource, isBlock } from "./block-source.ts";
import { imagePart } from "./image-to-chat.ts";

/** OpenAI's chat API refuses a file part's data without a name; a document may have no title. */
const UNTITLED = "document.pdf";

/**
 * A document block as chat parts, each kept as far as chat can say it:
 * - a PDF in base64: a `file` part (`file_data` as a data URL, the `title` as its `filename`), which
 *   OpenAI's chat API reads, and the translations on make a Gemini `inlineData` or a Converse
 *   `document` again;
 * - plain text (`source.type: text`) or custom content (`content`: text and images): what the model
 *   would read, as text parts (and images), behind a line with its title and context;
 * - a PDF by URL: a `file` part by `file_url` for an upstream that fetches one (Gemini,
 *   `needs.fileUrls`); any other has no place for it, and it is left out, named `content.document.url`;
 * - a Files API document (`source.type: file`) names a file only Anthropic holds: named.
 * Citations have no place in chat (`content.document.citations`), nor has a PDF's `context`.
 */
export function documentParts(
  block: Block,
  path: string,
  dropped: Dropped,
  needs: ChatUpstreamNeeds,
): JsonObject[] {
  const source = blockSource(block, path, ["base64", "text", "content", "url", "file"]);
  if (isJsonObject(block.citations) && block.citations.enabled === true)
    dropped.add("content.document.citations", `${path}.citations`);
  const title = typeof block.title === "string" && block.title !== "" ? block.title : undefined;
  const context = typeof block.context === "string" && block.context !== "" ? block.context : undefined;
  if (source.type === "text") return [{ type: "text", text: withHeading(source.data, title, context) }];
  if (source.type === "content")
    return contentParts(source.content, `${path}.source.content`, title, context, dropped);
  if (source.type === "file" || (source.type === "url" && !needs.fileUrls)) {
    dropped.add(`content.document.${source.type}`, `${path}.source.type`);
    return [];
  }
  if (context) dropped.add("content.document.context", `${path}.context`);
  const file =
    source.type === "url"
      ? { file_url: source.url }
      : { file_data: `data:${source.media_type};base64,${source.data}` };
  return [{ type: "file", file: { filename: title ?? UNTITLED, ...file } }];
}

/** A text document as the model reads it: its title and context first, when it has them. */
function withHeading(text: string, title: string | undefined, context: string | undefined): string {
  const heading = [...(title ? [`Document: ${title}`] : []), ...(context ? [`Context: ${context}`] : [])];
  return heading.length === 0 ? text : [...heading, "", text].join("\n");
}

/** A custom content document's text and images, its heading first. */
function contentParts(
  content: unknown,
  path: string,
  title: string | undefined,
  context: string | undefined,
  dropped: Dropped,
): JsonObject[] {
  if (typeof content === "string") return [{ type: "text", text: withHeading(content, title, context) }];
  if (!Array.isArray(content)) throw badRequest(`${path}: Input should be a valid list`, path);
  const parts: JsonObject[] = [];
  const heading = withHeading("", title, context).trimEnd();
  if (heading !== "") parts.push({ type: "text", text: heading });
  for (const [k, item] of content.entries()) {
    const at = `${path}.${k}`;
    if (!isBlock(item)) throw badRequest(`${at}: Input should be a valid dictionary`, at);
    if (item.type === "text" && typeof item.text === "string") parts.push({ type: "text", text: item.text });
    else if (item.type === "image") {
      const image = imagePart(item, at, dropped);
      if (image) parts.push(image);
    } else dropped.add(`content.document.${item.type}`, at);
  }
  return parts;
}
