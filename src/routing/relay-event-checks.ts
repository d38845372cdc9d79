import { saysError } from "../core/says-error.ts";
import { SseDecoder, type SseEvent } from "../core/sse.ts";
import type { SseSpan } from "../core/sse-scanner.ts";
import { OPENING_EVENTS, ROLE_KEY } from "./answer-opening.ts";
import { isSpace, matches, skipSpace } from "./json-bytes.ts";
import { CHOICES_KEY, noChoiceAfterKey } from "./no-choice.ts";
import { DONE_DATA, END_EVENTS, MESSAGE_DELTA as MESSAGE_DELTA_NAME } from "./stream-end.ts";

// What the byte relay reads off an event's bytes without decoding it (routing/byte-relay.ts).

const encoder = new TextEncoder();
const ERROR_NAME = encoder.encode("error");
const ERROR_KEY = encoder.encode('"error"');
/** An `"error"` key with its colon: a value `"error"` (a `finish_reason`) has none after it. */
const ERROR_KEY_COLON = encoder.encode('"error":');
/** A chat delta's role key (answer-opening.ts), as bytes. */
const ROLE_KEY_BYTES = encoder.encode(ROLE_KEY);
const DONE = encoder.encode(DONE_DATA);
/** How each dialect ends a complete stream (stream-end.ts), as bytes. */
const END_EVENT_NAMES = END_EVENTS.map((name) => encoder.encode(name));
/** The named events that only open an answer (answer-opening.ts), as bytes. */
const OPENING_EVENT_NAMES = OPENING_EVENTS.map((name) => encoder.encode(name));

const MESSAGE_DELTA = encoder.encode(MESSAGE_DELTA_NAME);

/** Anthropic's `message_delta`: the answer's stop reason, the last event before `message_stop`. */
export function stopsMessage(buf: Uint8Array, span: SseSpan): boolean {
  return (
    span.nameEnd - span.nameStart === MESSAGE_DELTA.length &&
    matches(buf, span.nameStart, span.nameEnd, MESSAGE_DELTA)
  );
}

/** The stream's own end marker: `data: [DONE]`, or a final event by name. */
export function endsStream(buf: Uint8Array, span: SseSpan): boolean {
  if (span.dataEnd - span.dataStart === DONE.length && matches(buf, span.dataStart, span.dataEnd, DONE))
    return true;
  // Most events (every OpenAI chunk) are unnamed: no name to compare.
  return span.nameStart !== -1 && namedOneOf(buf, span, END_EVENT_NAMES);
}

/** Whether a named event only opens the answer (`message_start`, `response.created`…), told by its name's bytes. */
export const opensByName = (buf: Uint8Array, span: SseSpan): boolean =>
  namedOneOf(buf, span, OPENING_EVENT_NAMES);

/** Whether the event's name is one of `names`. */
function namedOneOf(buf: Uint8Array, span: SseSpan, names: Uint8Array[]): boolean {
  const length = span.nameEnd - span.nameStart;
  for (const name of names)
    if (name.length === length && matches(buf, span.nameStart, span.nameEnd, name)) return true;
  return false;
}

const OPEN_BRACE = 123;
export const CLOSE_BRACE = 125;

/**
 * Every event of both dialects carries one JSON object (or `[DONE]`). A full parse per event is
 * what the byte relay exists to avoid, so only the data's first and last bytes are looked at:
 * garbage (an HTML error page, plain text) fails the first, an object cut off mid-write (the rest
 * of an upstream's write lost, the next event sent on) the last. Not a validation: an object cut
 * right after an inner `}`, or broken inside, passes.
 */
export function malformed(buf: Uint8Array, span: SseSpan, maxLine: number): boolean {
  const at = skipSpace(buf, span.dataStart, span.dataEnd);
  if (at === span.dataEnd || matches(buf, at, span.dataEnd, DONE)) return false;
  return buf[at] !== OPEN_BRACE || lastDataByte(buf, span, maxLine) !== CLOSE_BRACE;
}

/** The last byte of the event's data but spaces: of its one `data:` line, or of several, joined. */
function lastDataByte(buf: Uint8Array, span: SseSpan, maxLine: number): number | undefined {
  if (oneLine(buf, span)) {
    let end = span.dataEnd;
    while (end > span.dataStart && isSpace(buf[end - 1])) end--;
    return buf[end - 1];
  }
  // Data on several lines (neither dialect sends it): decoded, as the client would read it.
  const data = eventOf(buf, span, maxLine)?.data.trimEnd() ?? "";
  return data.charCodeAt(data.length - 1);
}

/** Whether the event ends with its first `data:` line (the line endings after it aside). */
export function oneLine(buf: Uint8Array, span: SseSpan): boolean {
  let rest = span.dataEnd;
  while (rest < span.end && (buf[rest] === 10 || buf[rest] === 13)) rest++;
  return rest === span.end;
}

const QUOTE = 34;

/**
 * Whether the event's data names a role (`"role"`), looked for in its first data line alone: a
 * native search would run on past the event, through every later event of the read.
 */
export const namesRole = (buf: Uint8Array, span: SseSpan): boolean => holdsKey(buf, span, ROLE_KEY_BYTES);

/**
 * Whether a chunk is an error whose `error` key is not its first (OpenRouter's error once a model
 * has begun, its chunk's `error` after `id`, `object`…, `finish_reason: "error"`; its error docs):
 * a top-level `error` object. The bytes `"error":` are looked for first (text in a string has its
 * quotes escaped); only a chunk that holds them is decoded, for an `"error":` may stand deeper or
 * be null in a good answer — Azure's first chunk says its content filter is down as
 * `content_filter_results: {"error": {…}}` and goes on unfiltered. Asked of the events before the
 * answer's first (relay-scan.ts), as `namesRole` is, and after it only of a chunk that finished
 * in `error` (`failsAtFinish`).
 */
export const holdsErrorKey = (buf: Uint8Array, span: SseSpan): boolean =>
  holdsKey(buf, span, ERROR_KEY_COLON) && saysErrorInData(buf, span, false);

/**
 * The event's data decoded and read by the one reading of an error (core/says-error.ts): asked
 * only of an event whose bytes hold an `"error":` key, never of an everyday chunk. `unreadable`:
 * the verdict when the data does not parse.
 */
function saysErrorInData(buf: Uint8Array, span: SseSpan, unreadable: boolean): boolean {
  try {
    return saysError(JSON.parse(textOf(buf, span.dataStart, span.dataEnd)));
  } catch {
    return unreadable;
  }
}

/** A `finish_reason` of `error`, as its value's bytes. */
const ERROR_FINISH = encoder.encode('"error"');

/**
 * Whether a chunk whose `finish_reason` value opens at `finish` is OpenRouter's error once the
 * answer has begun: its finish `"error"` and an `error` object of its own (`holdsErrorKey`). Asked
 * only of the chunk that carries the answer's finish (relay-scan.ts), which the relay searches for
 * once a read anyway: no chunk without a finish is looked at again.
 */
export const failsAtFinish = (buf: Uint8Array, span: SseSpan, finish: number): boolean =>
  matches(buf, finish, span.dataEnd, ERROR_FINISH) && holdsErrorKey(buf, span);

const CHOICES_KEY_BYTES = encoder.encode(CHOICES_KEY);

/**
 * Whether a chat chunk says it has no choice: `"choices": []` or `null` (Azure's first chunk, its
 * prompt's filter results; a chunk of usage alone; MiniMax's null), read as a decoded event's data
 * is (no-choice.ts: spaces before the colon too). Such a chunk says nothing of the answer: asked
 * only of the events before the answer's first that name no role (relay-scan.ts `watchOpening`),
 * as `namesRole` is. A chunk without the key is not one: the relay reads every dialect's unnamed
 * events (Gemini's have no choices), where a translation knows it reads chat chunks.
 */
export function saysNoChoice(buf: Uint8Array, span: SseSpan): boolean {
  const at = keyAt(buf, span, CHOICES_KEY_BYTES);
  return at !== -1 && noChoiceAfterKey(buf, at + CHOICES_KEY_BYTES.length, span.dataEnd);
}

/** Whether `key`'s bytes are in the event's data, looked for in its first data line alone (`namesRole`). */
const holdsKey = (buf: Uint8Array, span: SseSpan, key: Uint8Array): boolean => keyAt(buf, span, key) !== -1;

/** Where `key`'s bytes first stand in the event's data (its first data line alone), -1: nowhere. */
function keyAt(buf: Uint8Array, span: SseSpan, key: Uint8Array): number {
  const last = span.dataEnd - key.length;
  for (let at = span.dataStart; at <= last; at++)
    if (buf[at] === QUOTE && matches(buf, at, span.dataEnd, key)) return at;
  return -1;
}

/**
 * `event: error`, or a data payload that opens with an `"error"` key that says an error
 * (core/says-error.ts: OpenAI's in-band error chunk, TGI's words, any truthy value). The value's
 * first bytes tell, with no decode, an `"error": null`, `false`, `""` or `0` first, as some servers
 * open every chunk of a good answer: no error (`opensFalsy`). Any other value is decoded; a payload
 * that does not parse is one, as the OpenAI SDK throws on it.
 */
export function reportsError(buf: Uint8Array, span: SseSpan): boolean {
  if (
    span.nameEnd - span.nameStart === ERROR_NAME.length &&
    matches(buf, span.nameStart, span.nameEnd, ERROR_NAME)
  )
    return true;
  const end = span.dataEnd;
  let at = skipSpace(buf, span.dataStart, end);
  if (buf[at] !== OPEN_BRACE) return false;
  at = skipSpace(buf, at + 1, end);
  if (!matches(buf, at, end, ERROR_KEY)) return false;
  at = skipSpace(buf, at + ERROR_KEY.length, end);
  if (buf[at] === COLON && opensFalsy(buf, skipSpace(buf, at + 1, end))) return false;
  return saysErrorInData(buf, span, true);
}

const COLON = 58;

const ZERO = 48;
const DOT = 46;

/**
 * Whether the value at `at` is, by its first bytes, one the OpenAI SDK reads as no error (falsy):
 * `null`, `false`, `""`, `0`. Any other (an object, words, `true`, a list, a number but a bare
 * `0`) is decoded to tell: `-0`, `0.0` or `0e5` is zero too, and only the decode says so.
 */
function opensFalsy(buf: Uint8Array, at: number): boolean {
  const first = buf[at];
  if (first === N || first === F) return true;
  if (first === QUOTE) return buf[at + 1] === QUOTE;
  if (first !== ZERO) return false;
  const next = buf[at + 1];
  return next !== DOT && next !== LOWER_E && next !== UPPER_E;
}
const N = 110;
const F = 102;
const LOWER_E = 101;
const UPPER_E = 69;

const text = new TextDecoder();
/**
 * Buffer's native UTF-8 decode of a range, called on the read itself: no view made of it (a
 * `subarray` a decode) and none of `TextDecoder`'s argument handling (~65 against ~100 ns for a
 * usage event). Invalid bytes become U+FFFD, as `TextDecoder` makes them.
 */
const utf8Slice = (Buffer.prototype as unknown as { utf8Slice(start: number, end: number): string })
  .utf8Slice as (this: Uint8Array, start: number, end: number) => string;
const BOM_FIRST_BYTE = 0xef;

/** `buf[start, end)` as text, as `TextDecoder` reads it (a leading byte-order mark dropped). */
export function textOf(buf: Uint8Array, start: number, end: number): string {
  return buf[start] === BOM_FIRST_BYTE
    ? text.decode(buf.subarray(start, end))
    : utf8Slice.call(buf, start, end);
}

/**
 * Decodes one event the relay must read. The usual shape — an optional name and one `data:`
 * line — is sliced out directly; anything else (several data lines) takes the full decoder.
 */
export function eventOf(buf: Uint8Array, span: SseSpan, maxLine: number): SseEvent | undefined {
  if (oneLine(buf, span)) {
    const data = textOf(buf, span.dataStart, span.dataEnd);
    return span.nameStart === -1 ? { data } : { event: textOf(buf, span.nameStart, span.nameEnd), data };
  }
  return new SseDecoder(maxLine).push(buf.subarray(span.start, span.end))[0];
}
