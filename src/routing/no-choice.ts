// What says a chat chunk has no choice, read one way by the byte relay (relay-event-checks.ts
// `saysNoChoice`) and by the readers of decoded events (answer-event.ts `usageAlone`).

/** A chat chunk's choices key, its quotes in: a key's bytes, never text in a string (its quotes escaped). */
export const CHOICES_KEY = '"choices"';

const SPACE = 32;
const TAB = 9;
const LF = 10;
const CR = 13;
const COLON = 58;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const NULL = "null";

/** A chunk's data as bytes (the relay's read) or text (a decoded event): read by code at an index. */
type Data = Uint8Array | string;

const codeAt = (data: Data, at: number): number | undefined =>
  typeof data === "string" ? data.charCodeAt(at) : data[at];

const isSpace = (code: number | undefined) => code === SPACE || code === TAB || code === LF || code === CR;

function skipSpace(data: Data, at: number, end: number): number {
  while (at < end && isSpace(codeAt(data, at))) at++;
  return at;
}

/**
 * Whether what follows a chunk's `"choices"` key, from `at` (just past it) to `end`, says it has no
 * choice — as JSON allows it said: spaces, the colon, spaces, then `[]` (spaces inside) or `null`
 * (OpenAI's `[]` on a chunk of usage alone and Azure's prompt filter results, MiniMax's null).
 * A chunk without the key is none of this: the caller decides what its absence says.
 */
export function noChoiceAfterKey(data: Data, at: number, end: number): boolean {
  at = skipSpace(data, at, end);
  if (codeAt(data, at) !== COLON) return false;
  at = skipSpace(data, at + 1, end);
  if (codeAt(data, at) === OPEN_BRACKET) return codeAt(data, skipSpace(data, at + 1, end)) === CLOSE_BRACKET;
  if (end - at < NULL.length) return false;
  for (let k = 0; k < NULL.length; k++) if (codeAt(data, at + k) !== NULL.charCodeAt(k)) return false;
  return true;
}

/** Whether a decoded event's data says it has no choice (`noChoiceAfterKey`); without the key, not. */
export function saysNoChoiceIn(data: string): boolean {
  const at = data.indexOf(CHOICES_KEY);
  return at !== -1 && noChoiceAfterKey(data, at + CHOICES_KEY.length, data.length);
}
