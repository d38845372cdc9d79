import type { JsonObject } from "../../core/dialect.ts";
import type { AnthropicContentBlock } from "../anthropic-schema.ts";
import { chatToolId } from "../anthropic-tool-id.ts";
import { isCacheMarked, withCacheMark } from "../cache-marks.ts";
import type { CallerPaths } from "../caller-paths.ts";
import type { ChatUpstreamNeeds } from "../chat-upstream-needs.ts";
import type { Dropped } from "../dropped.ts";
import { imagesAfterTools, toolResultText } from "../tool-result-images.ts";
import { type Block, blockString, isBlock } from "./block-source.ts";
import { documentParts } from "./document-to-chat.ts";
import { imagePart } from "./image-to-chat.ts";

/** What translating a turn's blocks keeps as it goes. */
export interface BlockTranslation {
  readonly dropped: Dropped;
  readonly needs: ChatUpstreamNeeds;
  /** Learns where each chat message and part came from (caller-paths.ts), when a step after asks. */
  readonly paths?: CallerPaths | undefined;
}

/**
 * A user turn's blocks (the turn at `at`: `messages.2`) as chat messages. OpenAI wants each tool
 * result as its own `tool` message, so the turn is cut into runs, order kept: results, then a user
 * message, and so on.
 *
 * The images and files a tool returned (a screenshot, a PDF Claude Code read) follow the run of
 * tool messages in a user message (tool-result-images.ts).
 */
export function userMessages(
  blocks: AnthropicContentBlock[],
  at: string,
  translation: BlockTranslation,
): JsonObject[] {
  const { paths } = translation;
  const out: JsonObject[] = [];
  let parts: JsonObject[] = [];
  let fromTools: JsonObject[] = [];
  const flush = () => {
    parts = [...fromTools, ...parts];
    fromTools = [];
    if (parts.length === 0) return;
    const only = parts.length === 1 ? parts[0] : undefined;
    const plain = only?.type === "text" && !isCacheMarked(only);
    const message = { role: "user", content: plain ? only.text : parts };
    out.push(paths ? paths.mark(message, at) : message);
    parts = [];
  };
  for (const [j, block] of blocks.entries()) {
    const path = `${at}.content.${j}`;
    if (block.type === "tool_result") {
      if (parts.length > 0) flush();
      const result = toolMessage(block, path, translation);
      out.push(paths ? paths.mark(result.message, path) : result.message);
      fromTools.push(...result.attachments);
      continue;
    }
    parts.push(...userParts(block, path, translation));
  }
  flush();
  return out;
}

/**
 * One content block as chat parts (none, when left out); what chat cannot carry is named in
 * `dropped`. Each part that is not text is marked as the block's (`paths`).
 */
function userParts(block: Block, path: string, translation: BlockTranslation): JsonObject[] {
  const parts = blockParts(block, path, translation);
  // A breakpoint marks the block's last part (a document may be several).
  const last = parts.at(-1);
  if (last) parts[parts.length - 1] = withCacheMark(last, block, translation.needs);
  const { paths } = translation;
  if (paths) for (const part of parts) if (part.type !== "text") paths.mark(part, path, block.type);
  return parts;
}

function blockParts(block: Block, path: string, { dropped, needs }: BlockTranslation): JsonObject[] {
  if (block.type === "text") return [{ type: "text", text: blockString(block, path, "text") }];
  if (block.type === "image") {
    const image = imagePart(block, path, dropped);
    return image ? [image] : [];
  }
  if (block.type === "document") return documentParts(block, path, dropped, needs);
  if (block.type === "search_result") return [{ type: "text", text: searchResultText(block) }];
  dropped.add(`content.${block.type}`, path);
  return [];
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

/** A tool result as a `tool` message, and its images and files for the user message after the run. */
function toolMessage(
  block: Block,
  path: string,
  translation: BlockTranslation,
): { message: JsonObject; attachments: JsonObject[] } {
  const id = chatToolId(blockString(block, path, "tool_use_id"));
  const content = block.content;
  const texts: string[] = [];
  const attached: JsonObject[] = [];
  if (typeof content === "string") texts.push(content);
  else if (Array.isArray(content)) {
    for (const [k, item] of content.entries()) {
      if (!isBlock(item)) continue;
      for (const part of userParts(item, `${path}.content.${k}`, translation)) {
        if (part.type !== "text") attached.push(part);
        else if (typeof part.text === "string" && part.text !== "") texts.push(part.text);
      }
    }
  }
  let text = toolResultText(texts.join("\n"), attached);
  // OpenAI has no error flag on a tool result; the model still needs to know it failed.
  if (block.is_error === true) text = `Error: ${text}`;
  return {
    message: withCacheMark({ role: "tool", tool_call_id: id, content: text }, block, translation.needs),
    attachments: imagesAfterTools(id, attached),
  };
}
