import type { JsonObject } from "../../core/dialect.ts";
import { claudeFeatures } from "./converse-claude.ts";

/**
 * Converse's cache breakpoint (CachePointBlock, whose one type is `default`): the prompt up to it
 * is cached, so it goes right after the block a caller's `cache_control` marked, in `system`, a
 * message's content or `toolConfig.tools` (the chat request carries the mark: LiteLLM's and
 * OpenRouter's form, ../cache-marks.ts).
 */
export const CACHE_POINT: JsonObject = { cachePoint: { type: "default" } };

/** Where a model on Bedrock takes cache points (Bedrock's prompt caching: the rest refuse them). */
export interface CachePoints {
  /** In `system` and in messages. */
  readonly prompt: boolean;
  /** In `toolConfig.tools`. */
  readonly tools: boolean;
}

/**
 * Bedrock's prompt caching: Claude from 3.5 Haiku and 3.7 Sonnet on, in system, messages and tools;
 * Amazon Nova in system and messages. Any other model is sent none: a hint, the answer the same.
 */
export function cachePointsOf(model: string): CachePoints {
  const claude = claudeFeatures(model)?.caches === true;
  return { prompt: claude || /nova/i.test(model), tools: claude };
}

/** `blocks`, with a cache point after them when `marked` and there is a block for it to follow. */
export const withCachePoint = (blocks: JsonObject[], marked: boolean): JsonObject[] =>
  marked && blocks.length > 0 ? [...blocks, CACHE_POINT] : blocks;
