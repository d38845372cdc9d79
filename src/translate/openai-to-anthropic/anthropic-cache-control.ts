import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { cacheTtl, isCacheMarked } from "../cache-marks.ts";
import { messageText } from "../chat-request-parts.ts";
import { hasText } from "../has-text.ts";
import type { OpenAIMessage } from "../openai-schema.ts";

/**
 * `block` with a chat caller's breakpoint (`mark`: `cache_control` on a part, call, message or
 * tool, LiteLLM's and OpenRouter's form) as Anthropic's own `cache_control`: `ephemeral`, its one
 * type, with the mark's `ttl` where Anthropic takes it (cache-marks.ts), as Converse's `cachePoint`
 * is written for the same mark (openai-to-bedrock/converse-cache-point.ts). Unmarked, as it is.
 */
export function withCacheControl(block: JsonObject, mark: unknown): JsonObject {
  if (!isJsonObject(mark)) return block;
  const ttl = cacheTtl(mark);
  return { ...block, cache_control: { type: "ephemeral", ...(ttl ? { ttl } : {}) } };
}

/**
 * A system or assistant message's text as blocks: one, its parts' text joined, when no part is
 * marked; else a block a part (blank ones left out, as Anthropic refuses them), each marked part's
 * carrying its mark, so the breakpoint falls right after the text it marks, not after the rest.
 */
export function textBlocks(message: OpenAIMessage): JsonObject[] {
  const { content } = message;
  if (!Array.isArray(content) || !content.some(isCacheMarked)) {
    const text = messageText(message);
    return hasText(text) ? [{ type: "text", text }] : [];
  }
  return content.flatMap((part) => {
    const text = part.text ?? part.refusal ?? "";
    return hasText(text) ? [withCacheControl({ type: "text", text }, part.cache_control)] : [];
  });
}

/** `system`'s blocks as Messages takes them: blocks when one carries a breakpoint, else their text joined. */
export function systemOf(blocks: readonly JsonObject[]): string | JsonObject[] | undefined {
  if (blocks.length === 0) return undefined;
  if (blocks.some((block) => block.cache_control !== undefined)) return [...blocks];
  return blocks.map((block) => String(block.text)).join("\n\n");
}
