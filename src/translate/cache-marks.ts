import { isJsonObject, type JsonObject } from "../core/dialect.ts";
import type { ChatUpstreamNeeds } from "./chat-upstream-needs.ts";

/** A Messages block, system block or tool, which may carry `cache_control`. */
type Marked = { readonly [field: string]: unknown };

/**
 * A Messages block's cache breakpoint (`cache_control`), carried to a chat upstream that takes
 * breakpoints (ChatUpstreamNeeds.cacheMarks: Bedrock Converse's `cachePoint`) on the chat part,
 * message or tool the block became, as LiteLLM's and OpenRouter's chat API take it. Any other
 * upstream caches a prompt's prefix on its own: the hint is left out, and the answer is the same.
 */
export const cacheMarkOf = (block: Marked, needs: ChatUpstreamNeeds) =>
  needs.cacheMarks && isJsonObject(block.cache_control) ? block.cache_control : undefined;

/** `written` with the block's breakpoint, when it carries one (`cacheMarkOf`). */
export function withCacheMark(written: JsonObject, block: Marked, needs: ChatUpstreamNeeds): JsonObject {
  const mark = cacheMarkOf(block, needs);
  return mark ? { ...written, cache_control: mark } : written;
}

/** Whether a chat part, message or tool carries a breakpoint. */
export const isCacheMarked = (written: Marked | undefined): boolean =>
  written !== undefined && isJsonObject(written.cache_control);

/** The lifetimes a breakpoint takes, Anthropic's two (Converse's CachePointBlock.ttl the same). */
const TTLS = new Set(["5m", "1h"]);

/**
 * A caller's breakpoint's `ttl`, where the upstream takes it ("5m", "1h"); undefined without one,
 * or for another (which Anthropic refuses): the upstream's default lifetime, 5m.
 */
export const cacheTtl = (mark: JsonObject): string | undefined =>
  typeof mark.ttl === "string" && TTLS.has(mark.ttl) ? mark.ttl : undefined;
