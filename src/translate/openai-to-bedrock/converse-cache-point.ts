import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { cacheTtl } from "../cache-marks.ts";
import { claudeFeatures } from "./converse-claude.ts";

/**
 * Converse's cache breakpoint (CachePointBlock: its one type `default`, and an optional `ttl`) for
 * a caller's `cache_control`: the prompt up to it is cached, so it goes right after the block the
 * mark is on, in `system`, a message's content or `toolConfig.tools` (the chat request carries the
 * mark: LiteLLM's and OpenRouter's form, ../cache-marks.ts). Its `ttl` goes as written ("1h");
 * Bedrock, as Anthropic, wants no later point to outlive an earlier one, which the caller's own
 * API asks too. A `ttl` of neither value, which Anthropic refuses as well, is left out.
 */
export function cachePointFor(mark: JsonObject): JsonObject {
  const ttl = cacheTtl(mark);
  return { cachePoint: { type: "default", ...(ttl ? { ttl } : {}) } };
}

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

/**
 * `blocks`, with a cache point after them when `mark` is a caller's `cache_control` (undefined where
 * the model takes none) and there is a block for it to follow.
 */
export const withCachePoint = (blocks: JsonObject[], mark: unknown): JsonObject[] =>
  isJsonObject(mark) && blocks.length > 0 ? [...blocks, cachePointFor(mark)] : blocks;
