import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import type { Dropped } from "../dropped.ts";
import { anthropicCacheControl } from "./anthropic-cache-control.ts";

/**
 * A chat or Responses caller's ask for its prompt cached, as Anthropic's automatic prompt caching:
 * a top-level `cache_control`, which has Claude put the breakpoint on the last cacheable block and
 * move it on as the conversation grows (Anthropic's "Prompt caching", automatic caching).
 *
 * `prompt_cache_key`: OpenAI caches every prompt's prefix on its own and the key only steers which
 * cache it lands in; Claude caches nothing unasked, so without this a caller that asks by key
 * (Codex sends its session's id on every turn) had each turn's whole conversation billed and read
 * again. It becomes `{type: "ephemeral"}` where the request marks no breakpoint of its own
 * (`cache_control` on a part, message or tool, LiteLLM's and OpenRouter's form): a caller that
 * marks chose what to cache, and is sent as marked. So does a turn of a stored chain (`chained`: a
 * Responses caller's `previous_response_id`, without a key): the gateway puts the stored turns in
 * front of the new input, the same prefix each turn, and the caller asked for the next turn's.
 *
 * A top-level `cache_control` (OpenRouter's own ask for automatic caching) goes as Anthropic's, its
 * `ttl` kept where Anthropic takes it, beside the caller's marks where it fits them; where Anthropic
 * would answer 400 (`unfitting`) it is left out and named in `dropped` (refused under
 * `translation.unsupported: reject`), the caller's own marks sent as they are.
 */
export function withAutomaticCaching(
  chat: JsonObject,
  messages: JsonObject,
  dropped: Dropped,
  chained = false,
): void {
  if (isJsonObject(chat.cache_control)) {
    const asked = anthropicCacheControl(chat.cache_control);
    const why = unfitting(messages, ttlOf(asked));
    if (why === undefined) messages.cache_control = asked;
    else dropped.add("cache_control", "cache_control", why);
    return;
  }
  const key = chat.prompt_cache_key;
  const asked = chained || (typeof key === "string" && key !== "");
  // No mark of the caller's: the automatic breakpoint, 5m, always fits.
  if (!asked || marksOf(messages).count > 0) return;
  messages.cache_control = { type: "ephemeral" };
}

/** A breakpoint's lifetime: Anthropic's default, 5m, unless it says 1h. */
const ttlOf = (mark: JsonObject): "5m" | "1h" => (mark.ttl === "1h" ? "1h" : "5m");

/**
 * Why Anthropic would refuse an automatic breakpoint of `ttl` beside the request's own marks
 * (its "Prompt caching", automatic caching's edge cases and mixing TTLs: each a 400); undefined
 * when it fits. It takes one of four slots; it lands on the last block, which may carry a mark
 * of the same ttl (a no-op) but not of another; and a 1h entry may not follow a 5m one.
 */
function unfitting(messages: JsonObject, ttl: "5m" | "1h"): string | undefined {
  const marks = marksOf(messages);
  if (marks.count >= 4)
    return "would take a fifth cache breakpoint beside the request's four; Anthropic takes four";
  if (marks.last !== undefined && marks.last !== ttl)
    return `asks a ${ttl} cache on the last block, which is marked ${marks.last}; Anthropic refuses both`;
  if (ttl === "1h" && marks.fiveMinute)
    return "asks a 1h cache after a 5m breakpoint; Anthropic wants the longer first";
  return undefined;
}

/** The request's own breakpoints: how many, whether one is 5m, and the last block's lifetime if marked. */
interface Marks {
  count: number;
  fiveMinute: boolean;
  last: "5m" | "1h" | undefined;
}

/** The breakpoints a Messages request marks: on a tool, a system block, or a turn's block. */
function marksOf(messages: JsonObject): Marks {
  const marks: Marks = { count: 0, fiveMinute: false, last: undefined };
  const note = (block: unknown) => {
    if (!isJsonObject(block) || !isJsonObject(block.cache_control)) return;
    marks.count++;
    if (ttlOf(block.cache_control) === "5m") marks.fiveMinute = true;
  };
  if (Array.isArray(messages.tools)) messages.tools.forEach(note);
  if (Array.isArray(messages.system)) messages.system.forEach(note);
  const turns = Array.isArray(messages.messages) ? messages.messages : [];
  for (const turn of turns) if (isJsonObject(turn) && Array.isArray(turn.content)) turn.content.forEach(note);
  const lastTurn = turns.at(-1);
  const lastBlock =
    isJsonObject(lastTurn) && Array.isArray(lastTurn.content) ? lastTurn.content.at(-1) : undefined;
  if (isJsonObject(lastBlock) && isJsonObject(lastBlock.cache_control))
    marks.last = ttlOf(lastBlock.cache_control);
  return marks;
}
