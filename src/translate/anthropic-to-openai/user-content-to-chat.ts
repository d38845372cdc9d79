import type { JsonObject } from "../../core/dialect.ts";
import type { AnthropicContentBlock } from "../anthropic-schema.ts";
import { chatToolId } from "../anthropic-tool-id.ts";
import type { Dropped } from "../dropped.ts";
import { imagesAfterTools, toolResultText } from "../tool-result-images.ts";
import { blockSource } from "./block-source.ts";

/** A block of a user turn, or of a tool result's content, with its request path. */
type Block = { type: string } & Record<string, unknown>;

/**
 * A user turn's blocks as chat messages. OpenAI wants each tool result as its own `tool`
 * message, so the turn is cut into runs, order kept: results, then a user message, and so on.
 *
 * The images a tool returned (a screenshot) follow the run of tool messages in a user message
 * (tool-result-images.ts).
 */
export function userMessages(blocks: AnthropicContentBlock[], path: string, dropped: Dropped): JsonObject[] {
  const out: JsonObject[] = [];
  let parts: JsonObject[] = [];
  let fromTools: JsonObject[] = [];
  const flush = () => {
    parts = [...fromTools, ...parts];
    fromTools = [];
    if (parts.length === 0) return;
    const only = parts.length === 1 ? parts[0] : undefined;
    out.push({ role: "user", content: only?.type === "text" ? only.text : parts });
    parts = [];
  };
  for (const [j, block] of blocks.entries()) {
    if (block.type === "tool_result") {
      if (parts.length > 0) flush();
      const result = toolMessage(block, `${path}.${j}`, dropped);
      out.push(result.message);
      fromTools.push(...result.images);
      continue;
    }
    const part = userPart(block, `${path}.${j}`, dropped);
    if (part) parts.push(part);
  }
  flush();
  return out;
}

/** One content block as a chat part; what chat cannot carry is named in `dropped`. */
function userPart(block: Block, path: string, dropped: Dropped): JsonObject | undefined {
  if (block.type === "text" && typeof block.text === "string") return { type: "text", text: block.text };
  if (block.type === "image") return imagePart(block, path, dropped);
  if (block.type === "search_result") return { type: "text", text: searchResultText(block) };
  dropped.add(`content.${block.type}`, path);
  return undefined;
}

/**
 * An image as an `image_url` part: a URL as it is, base64 as a data URL. A Files API image
 * (`source.type: file`) names a file only Anthropic holds. A source missing, or without what its
 * type requires, is the caller's 400 (block-source.ts).
 */
function imagePart(block: Block, path: string, dropped: Dropped): JsonObject | undefined {
  const source = blockSource(block, path, ["base64", "url", "file"]);
  if (source.type === "url") return { type: "image_url", image_url: { url: source.url } };
  if (source.type === "base64")
    return { type: "image_url", image_url: { url: `data:${source.media_type};base64,${source.data}` } };
  dropped.add(`content.image.${source.type}`, `${path}.source.type`);
  return undefined;
}

/** A search result as text the model can read: its title, source and passages (no citations). */
function searchResultText(block: Block): string {
  const content = Array.isArray(block.content) ? (block.content as Block[]) : [];
  const passages = content.flatMap((part) => (typeof part.text === "string" ? [part.text] : []));
  return [
    `Search result: ${String(block.title ?? "")}`,
    `Source: ${String(block.source ?? "")}`,
    "",
    ...passages,
  ]
    .join("\n")
    .trimEnd();
}

/** A tool result as a `tool` message, and its images for the user message after the run. */
function toolMessage(
  block: Block,
  path: string,
  dropped: Dropped,
): { message: JsonObject; images: JsonObject[] } {
  const content = block.content;
  const texts: string[] = [];
  const images: JsonObject[] = [];
  if (typeof content === "string") texts.push(content);
  else if (Array.isArray(content)) {
    for (const [k, item] of (content as Block[]).entries()) {
      const part = userPart(item, `${path}.content.${k}`, dropped);
      if (part?.type === "text" && typeof part.text === "string" && part.text !== "") texts.push(part.text);
      else if (part?.type === "image_url") images.push(part);
    }
  }
  let text = toolResultText(texts.join("\n"), images);
  // OpenAI has no error flag on a tool result; the model still needs to know it failed.
  if (block.is_error === true) text = `Error: ${text}`;
  const id = typeof block.tool_use_id === "string" ? chatToolId(block.tool_use_id) : "";
  return { message: { role: "tool", tool_call_id: id, content: text }, images: imagesAfterTools(id, images) };
}
