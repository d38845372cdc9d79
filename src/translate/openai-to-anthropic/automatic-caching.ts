import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { anthropicCacheControl } from "./anthropic-cache-control.ts";

/**
 * A chat or Responses caller's `prompt_cache_key` as Anthropic's automatic prompt caching: a
 * top-level `cache_control: {type: "ephemeral"}`, which has Claude put the breakpoint on the last
 * cacheable block and move it on as the conversation grows (Anthropic's "Prompt caching",
 * automatic caching). OpenAI caches every prompt's prefix on its own and the key only steers
 * which cache it lands in; Claude caches nothing unasked, so without this a caller that asks by
 * key (Codex sends its session's id on every turn) had each turn's whole conversation billed and
 * read again. A request that marks breakpoints of its own (`cache_control` on a part, message or
 * tool, LiteLLM's and OpenRouter's form) is left as marked: its caller chose what to cache, and
 * Anthropic takes at most four breakpoints, the automatic one among them. A top-level
 * `cache_control`, OpenRouter's own ask for automatic caching, goes as Anthropic's (its `ttl` kept
 * where Anthropic takes it), beside marks or not: the caller asked for it by name.
 */
export function withAutomaticCaching(chat: JsonObject, messages: JsonObject): void {
  if (isJsonObject(chat.cache_control)) {
    messages.cache_control = anthropicCacheControl(chat.cache_control);
    return;
  }
  const key = chat.prompt_cache_key;
  if (typeof key !== "string" || key === "" || marksBreakpoint(messages)) return;
  messages.cache_control = { type: "ephemeral" };
}

/** Whether a Messages request marks a breakpoint: on a system block, a turn's block, or a tool. */
function marksBreakpoint(messages: JsonObject): boolean {
  if (Array.isArray(messages.system) && messages.system.some(isMarked)) return true;
  if (Array.isArray(messages.tools) && messages.tools.some(isMarked)) return true;
  if (!Array.isArray(messages.messages)) return false;
  return messages.messages.some(
    (turn) => isJsonObject(turn) && Array.isArray(turn.content) && turn.content.some(isMarked),
  );
}

const isMarked = (block: unknown): boolean => isJsonObject(block) && block.cache_control !== undefined;
