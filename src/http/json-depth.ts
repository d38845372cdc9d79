/**
 * The deepest nesting a request body may have. Real requests stay far below it (a JSON Schema
 * in `response_format` or a tool definition nests a few dozen levels at most); a body nested
 * deeper exists only to exhaust a recursive parser or serialiser further down the path.
 */
export const MAX_JSON_DEPTH = 256;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const OPEN_ARRAY = 0x5b;
const CLOSE_OBJECT = 0x7d;
const CLOSE_ARRAY = 0x5d;

/**
 * True when the JSON text in `bytes` nests objects and arrays deeper than `max`. One pass over
 * the bytes, before any parse: brackets inside strings do not count. Malformed text is left to
 * the parser; this only answers the depth question.
 */
export function nestsDeeperThan(bytes: Uint8Array, max = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (inString) {
      if (byte === BACKSLASH) i++;
      else if (byte === QUOTE) inString = false;
    } else if (byte === QUOTE) inString = true;
    else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
  return false;
}
