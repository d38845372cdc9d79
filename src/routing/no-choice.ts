import type { SseEvent } from "../core/sse.ts";
import { isSpace, matches, skipSpace } from "./json-bytes.ts";

// What says a chat chunk has no choice, read one way by the byte relay (relay-event-checks.ts
// `saysNoChoice`) and by the readers of decoded events (answer-event.ts `usageAlone`): the same
// steps on bytes and on text (no-choice.test.ts holds the two to one table).

/** A chat chunk's choices key, its quotes in: a key's bytes, never text in a string (its quotes escaped). */
export const CHOICES_KEY = '"choices"';

const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const NULL = "null";
const NULL_BYTES = new TextEncoder().encode(NULL);

/**
 * Whether what follows a chunk's `"choices"` key, from `at` (just past it) to `end`, says it has no
 * choice — as JSON allows it said: spaces, the colon, spaces, then `[]` (spaces inside) or `null`
 * (OpenAI's `[]` on a chunk of usage alone and Azure's prompt filter results, MiniMax's null).
 * A chunk without the key is none of this: the caller decides what its absence says.
 */
export function noChoiceAfterKey(buf: Uint8Array, at: number, end: number): boolean {
  at = skipSpace(buf, at, end);
  if (buf[at] !== COLON) return false;
  at = skipSpace(buf, at + 1, end);
  if (buf[at] === OPEN_BRACKET) return buf[skipSpace(buf, at + 1, end)] === CLOSE_BRACKET;
  return matches(buf, at, end, NULL_BYTES);
}

/** `skipSpace` of text. */
function skipTextSpace(data: string, at: number): number {
  while (at < data.length && isSpace(data.charCodeAt(at))) at++;
  return at;
}

/** Whether a decoded event's data says it has no choice (`noChoiceAfterKey`, on text); without the key, not. */
export function saysNoChoiceIn(data: string): boolean {
  const key = data.indexOf(CHOICES_KEY);
  if (key === -1) return false;
  let at = skipTextSpace(data, key + CHOICES_KEY.length);
  if (data.charCodeAt(at) !== COLON) return false;
  at = skipTextSpace(data, at + 1);
  if (data.charCodeAt(at) === OPEN_BRACKET)
    return data.charCodeAt(skipTextSpace(data, at + 1)) === CLOSE_BRACKET;
  return data.startsWith(NULL, at);
}

/**
 * Whether a decoded stream event may hold the answer: any but a chat chunk without a choice (usage
 * alone, Azure's prompt filter results); a role chunk does. A stream whose `[DONE]` comes before any
 * such event has no answer in it, as the byte relay reads its bytes (relay-scan.ts `answering`):
 * asked by the primary's reader (attempt-answer.ts) and a shadow copy's (copy-stream-end.ts) alike.
 */
export function mayHoldAnswer(event: SseEvent): boolean {
  return event.event !== undefined || !saysNoChoiceIn(event.data);
}
