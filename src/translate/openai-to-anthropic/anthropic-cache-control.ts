import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { cacheTtl } from "../cache-marks.ts";
import { markedTexts } from "../chat-request-parts.ts";
import type { OpenAIMessage } from "../openai-schema.ts";

/**
 * `block` with a chat caller's breakpoint (`mark`: `cache_control` on a part, call, message or
 * tool, LiteLLM's and OpenRouter's form) as Anthropic's own `cache_control`: `ephemeral`, its one
 * type, with the mark's `ttl` where Anthropic takes it (cache-marks.ts), as Converse's `cachePoint`
 * is written for the same mark (openai-to-bedrock/converse-cache-point.ts). Unmarked, as it is.
 */
export function withCacheControl(block: JsonObject, mark: unknown): JsonObject {
  return isJsonObject(mark) ? { ...block, cache_control: anthropicCacheControl(mark) } : block;
}

/** A caller's breakpoint as Anthropic's `cache_control`: `ephemeral`, with the mark's `ttl` where Anthropic takes it. */
export function anthropicCacheControl(mark: JsonObject): JsonObject {
  const ttl = cacheTtl(mark);
  return { type: "ephemeral", ...(ttl ? { ttl } : {}) };
}

/**
 * A system or assistant message's text as blocks (`markedTexts`, shared with Converse), each
 * marked text's block carrying its mark.
 */
export function textBlocks(message: OpenAIMessage): JsonObject[] {
  return markedTexts(message).map(({ text, mark }) => withCacheControl({ type: "text", text }, mark));
}

/**
 * `blocks` with a message's own breakpoint (`cache_control` on an assistant message) on its last
 * block, as Converse puts a cache point after the message's blocks. A thinking block is never
 * marked (Anthropic refuses it): the mark goes on the last block after the thinking, or on none.
 * A last block marked of its own keeps its mark, the breakpoint being the same.
 */
export function withMessageMark(blocks: JsonObject[], mark: unknown): JsonObject[] {
  const last = blocks.at(-1);
  if (!isJsonObject(mark) || !last || last.cache_control !== undefined) return blocks;
  if (last.type === "thinking" || last.type === "redacted_thinking") return blocks;
  return [...blocks.slice(0, -1), withCacheControl(last, mark)];
}

/** `system`'s blocks as Messages takes them: blocks when one carries a breakpoint, else their text joined. */
export function systemOf(blocks: readonly JsonObject[]): string | JsonObject[] | undefined {
  if (blocks.length === 0) return undefined;
  if (blocks.some((block) => block.cache_control !== undefined)) return [...blocks];
  return blocks.map((block) => String(block.text)).join("\n\n");
}
