// JSON read off bytes in place, with no decode: what the byte relay's checks share
// (relay-event-checks.ts, no-choice.ts, previous-response-id.ts, relay-key-search.ts).

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;

/** Whether a code (a byte, or a text's char code) is one of JSON's spaces. */
export const isSpace = (code: number | undefined): boolean =>
  code === SPACE || code === TAB || code === LF || code === CR;

/** The first index from `at` that is no JSON space, or `end`. */
export function skipSpace(buf: Uint8Array, at: number, end: number): number {
  while (at < end && isSpace(buf[at])) at++;
  return at;
}

/** Whether `word` is at `at`, before `end`. */
export function matches(buf: Uint8Array, at: number, end: number, word: Uint8Array): boolean {
  if (end - at < word.length) return false;
  for (let k = 0; k < word.length; k++) if (buf[at + k] !== word[k]) return false;
  return true;
}
