import { SseScanner, type SseSpan } from "../core/sse-scanner.ts";
import { matches, skipSpace } from "./json-bytes.ts";

const encoder = new TextEncoder();

/**
 * The key with both its quotes: a key inside a string value is escaped (`\"`), so a match is
 * always a key of the JSON itself — but maybe a nested object's (an `mcp_list_tools` item's
 * `input_schema`, a tool's `parameters`, a `text.format` schema), not the response's own.
 */
export const PREVIOUS_KEY = encoder.encode('"previous_response_id"');
/** A stream event's response (`{"type":"response.created","response":{…}}`): the key is its own. */
const IN_EVENT: readonly Uint8Array[] = [encoder.encode('"response"')];
/** A whole body: the response itself. */
export const IN_BODY: readonly Uint8Array[] = [];
/** How the name of each event that may carry a response starts. */
const RESPONSE_EVENT = encoder.encode("response.");
const NULL = encoder.encode("null");
const QUOTE = 34;
const BACKSLASH = 92;
const COLON = 58;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;

/**
 * A native Responses answer's JSON (a whole body, or one event's data) with its response's own
 * `previous_response_id` said as `said` (the caller's id, as a JSON string) where the upstream
 * said `null`: a chain the gateway expanded reached it without the id (native-responses.ts
 * `nativeResponses`), and the caller is answered as a chain the upstream held, or a translated
 * route, answers it. The bytes are edited, not parsed and written again: the rest goes as the
 * upstream spelled it. `[start, end)`: the JSON in `bytes`; `path`: the keys from its top-level
 * object to the response (`IN_BODY`, `IN_EVENT`). Undefined when there is nothing to edit (no
 * such key of the response's own, or another value under it); the same key nested anywhere else
 * is never edited.
 */
export function withPreviousId(
  bytes: Uint8Array,
  said: Uint8Array,
  path: readonly Uint8Array[],
  start = 0,
  end = bytes.length,
): Uint8Array<ArrayBuffer> | undefined {
  if (!saysNull(bytes, start, end)) return undefined;
  const at = ownKeyAt(bytes, start, end, path);
  if (at === -1) return undefined;
  const value = skipSpace(bytes, skipSpace(bytes, at + PREVIOUS_KEY.length, end) + 1, end);
  if (!matches(bytes, value, end, NULL)) return undefined;
  const out = new Uint8Array(bytes.length - NULL.length + said.length);
  out.set(bytes.subarray(0, value));
  out.set(said, value);
  out.set(bytes.subarray(value + NULL.length), value + said.length);
  return out;
}

/** Buffer's native search, called on the bytes themselves: no Buffer view made. */
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array, from?: number) => number;

/**
 * Whether any `"previous_response_id"` key in `[start, end)` says null, found by the runtime's own
 * search: a response whose upstream held its chain says its id there, and a read of one it kept (a
 * `GET`, which asks to say the caller's id of every response in a chain) is then not walked byte by
 * byte (`ownKeyAt`), only one the gateway expanded.
 */
function saysNull(bytes: Uint8Array, start: number, end: number): boolean {
  for (
    let at = indexOf.call(bytes, PREVIOUS_KEY, start);
    at !== -1;
    at = indexOf.call(bytes, PREVIOUS_KEY, at + 1)
  ) {
    const colon = skipSpace(bytes, at + PREVIOUS_KEY.length, end);
    if (colon >= end) return false;
    if (bytes[colon] === COLON && matches(bytes, skipSpace(bytes, colon + 1, end), end, NULL)) return true;
  }
  return false;
}

/**
 * Where `"previous_response_id"` is a key of the object `path` leads to from the top-level one
 * (-1: it is not). One walk over the bytes, strings skipped whole, depth counted: read only for
 * a chain the gateway expanded, and only where the key was seen.
 */
function ownKeyAt(bytes: Uint8Array, start: number, end: number, path: readonly Uint8Array[]): number {
  // `depth`: containers open; `onPath`: the depth of the innermost one on `path` (0: none yet).
  let depth = 0;
  let onPath = 0;
  // A key of the object on the path named the next step: its value, when an object, is on it too.
  let stepNext = false;
  for (let at = start; at < end; at++) {
    const byte = bytes[at];
    if (byte === QUOTE) {
      const close = stringEnd(bytes, at, end);
      if (close === -1) return -1;
      if (depth === onPath && depth > 0) {
        const colon = skipSpace(bytes, close + 1, end);
        if (bytes[colon] === COLON) {
          if (depth === path.length + 1 && isWord(bytes, at, close, PREVIOUS_KEY)) return at;
          const step = path[depth - 1];
          stepNext = step !== undefined && isWord(bytes, at, close, step);
          at = colon;
          continue;
        }
      }
      at = close;
    } else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) {
      depth++;
      if ((depth === 1 && byte === OPEN_BRACE) || (stepNext && byte === OPEN_BRACE)) onPath = depth;
      stepNext = false;
    } else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      // The object on the path closed without the key: none further out is on it.
      if (depth === onPath) return -1;
      depth--;
    } else if (byte !== 32 && byte !== 9 && byte !== 10 && byte !== 13 && byte !== 44) stepNext = false;
  }
  return -1;
}

/** Where the string opening at `open` closes (its closing quote), -1 when it does not before `end`. */
function stringEnd(bytes: Uint8Array, open: number, end: number): number {
  for (let at = open + 1; at < end; at++) {
    const byte = bytes[at];
    if (byte === BACKSLASH) at++;
    else if (byte === QUOTE) return at;
  }
  return -1;
}

/** Whether `bytes[from, close]` is `word` (a key with its quotes). */
const isWord = (bytes: Uint8Array, from: number, close: number, word: Uint8Array): boolean =>
  close + 1 - from === word.length && matches(bytes, from, close + 1, word);

/** The caller's id as `withPreviousId` writes it: a JSON string's bytes. */
export const saidPreviousId = (id: string): Uint8Array => encoder.encode(JSON.stringify(id));

/**
 * A relayed event (`span` of the read `buf`, relay-scan.ts) with its response's own
 * `previous_response_id` said as `said` where the upstream said null: only a `response.*` event's,
 * and only its `response`'s own key (the same key nested in it, a tool's schema, goes as it came).
 * `replaced`: what already goes out in its place (its scrub), edited instead. Undefined when there
 * is nothing to edit.
 */
export function withPreviousIdInEvent(
  buf: Uint8Array,
  span: SseSpan,
  said: Uint8Array,
  replaced: Uint8Array | undefined,
): Uint8Array | undefined {
  if (!matches(buf, span.nameStart, span.nameEnd, RESPONSE_EVENT)) return undefined;
  return replaced
    ? withPreviousIdInWholeEvent(replaced, said)
    : withPreviousId(
        buf.subarray(span.start, span.end),
        said,
        IN_EVENT,
        span.dataStart - span.start,
        span.dataEnd - span.start,
      );
}

/** A whole SSE event (one the relay scan wrote itself: a scrubbed one, one data line) said as `withPreviousId` says it. */
function withPreviousIdInWholeEvent(event: Uint8Array, id: Uint8Array): Uint8Array | undefined {
  let edited: Uint8Array | undefined;
  new SseScanner().scan(event, {
    onSpan: (span) => {
      if (span.dataStart !== -1) edited ??= withPreviousId(event, id, IN_EVENT, span.dataStart, span.dataEnd);
    },
  });
  return edited;
}
