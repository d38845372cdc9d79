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
 * the bytes, before any parse: brackets inside strings do not count. Strings, most of a real
 * body, are skipped with a native search for their closing quote rather than byte by byte (a
 * 14 KB agent turn: 16 µs → ~2 µs, `bench/guards-micro.ts`). Malformed text is left to the
 * parser; this only answers the depth question.
 */
export function nestsDeeperThan(bytes: Uint8Array, max = MAX_JSON_DEPTH): boolean {
  // Deeper than `max` takes at least `max + 1` opening brackets.
  if (bytes.length <= max) return false;
  let depth = 0;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      let end = bytes.indexOf(QUOTE, i + 1);
      while (end !== -1 && escaped(bytes, end)) end = bytes.indexOf(QUOTE, end + 1);
      // An unterminated string: nothing after it counts (the parser refuses the body anyway).
      if (end === -1) return false;
      i = end;
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (++depth > max) return true;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) depth--;
  }
  return false;
}

/** A quote is escaped when an odd run of backslashes stands right before it. */
function escaped(bytes: Uint8Array, quote: number): boolean {
  let run = 0;
  for (let j = quote - 1; bytes[j] === BACKSLASH; j--) run++;
  return run % 2 === 1;
}

/**
 * True when `value`, JSON already parsed (a WebSocket message, which Elysia hands over parsed),
 * nests objects and arrays deeper than `max`: counted as `nestsDeeperThan` counts the text, without
 * recursion (serialising such a value again overflows the stack only after seconds of the event
 * loop held). It stops at the first branch past `max`; a message within it is walked once.
 */
export function valueNestsDeeperThan(value: unknown, max = MAX_JSON_DEPTH): boolean {
  if (typeof value !== "object" || value === null) return false;
  const nodes: object[] = [value];
  const depths: number[] = [1];
  const enter = (child: unknown, depth: number) => {
    if (typeof child === "object" && child !== null) {
      nodes.push(child);
      depths.push(depth);
    }
  };
  while (nodes.length > 0) {
    const node = nodes.pop() as object;
    const depth = depths.pop() as number;
    if (depth > max) return true;
    // An array by index: `for…in` makes a string of each index, and a 1 MB message of
    // `[0,0,…]` (500,000 of them) held the event loop 188 ms that way (10 MB: 8.9 s).
    if (Array.isArray(node)) for (let i = 0; i < node.length; i++) enter(node[i], depth + 1);
    else for (const key in node) enter((node as Record<string, unknown>)[key], depth + 1);
  }
  return false;
}
