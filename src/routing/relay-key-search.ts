import type { SseSpan } from "../core/sse-scanner.ts";
import { skipSpace } from "./json-bytes.ts";

// How the relay scan (relay-scan.ts) finds the few keys it reads in its events' bytes: one native
// search a read, moved on event by event, never one search an event.

/** Buffer's native search, called on the read itself: no Buffer view made per read. */
export const indexOf = Buffer.prototype.indexOf as (
  this: Uint8Array,
  value: Uint8Array,
  from: number,
) => number;

const QUOTE = 34;
const COLON = 58;

/** `at` (where `key` was last found in `buf`; -1: nowhere further), or where it stands next at or past `from`. */
export function keyFrom(buf: Uint8Array, key: Uint8Array, at: number, from: number): number {
  while (at !== -1 && at < from) at = indexOf.call(buf, key, at + 1);
  return at;
}

/** Whether a place a key was found at (-1: nowhere) lies before `end`. */
export const foundBefore = (at: number, end: number): boolean => at !== -1 && at < end;

/**
 * From `at` on (where `key` was last found in `buf`; -1: nowhere further), where `key` is a key of
 * the event `span`, its opening quote before it, whose value opens with the byte `first`; else
 * where it stands next past the event (-1: nowhere), so `foundBefore(…, span.end)` tells which.
 * `key` is written without its opening quote, which is checked before a match rather than searched
 * for: a `"` comes every few bytes of JSON, and the native search slows at each candidate. A key
 * inside a string value is escaped (`\"`), so it is never taken for one.
 */
export function keyWithValueAt(
  buf: Uint8Array,
  key: Uint8Array,
  at: number,
  span: SseSpan,
  first: number,
): number {
  while (at !== -1 && at < span.end) {
    // Its opening quote inside the event too.
    if (at > span.start && buf[at - 1] === QUOTE) {
      const value = valueAt(buf, at + key.length, span.end);
      if (value !== -1 && buf[value] === first) return at;
    }
    at = indexOf.call(buf, key, at + 1);
  }
  return at;
}

/** Where the value after a key ending at `keyEnd` (its closing quote past) opens, before `end`: -1 when no colon follows. */
export function valueAt(buf: Uint8Array, keyEnd: number, end: number): number {
  const colon = skipSpace(buf, keyEnd, end);
  return buf[colon] === COLON ? skipSpace(buf, colon + 1, end) : -1;
}
