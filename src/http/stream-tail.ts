// Where a relayed stream stands, read off the bytes written to its client, and only when it must
// be known (an error event to number, a response to fail): nothing is read of each chunk as it
// goes but, on a Responses stream, its first reads until one names its response.

const COLON = 58;
const SPACE = 32;
const TAB = 9;
const ZERO = 48;
const QUOTE = 34;
const OPEN_BRACE = 123;
const encoder = new TextEncoder();
const SEQUENCE_KEY = encoder.encode('"sequence_number"');
const RESPONSE_KEY = encoder.encode('"response"');
const ID_KEY = encoder.encode('"id"');
/** Buffer's native search, called on the bytes themselves: no Buffer view made. */
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array, from?: number) => number;
/** Buffer's native search from the end, called on the bytes themselves: no Buffer view made. */
const lastIndexOf = Buffer.prototype.lastIndexOf as (
  this: Uint8Array,
  value: Uint8Array,
  from?: number,
) => number;

/**
 * The number after the last `"sequence_number"` key in `bytes` (a relayed Responses stream's last
 * read, whose events each carry one): what an error event the gateway adds to the stream is
 * numbered. Undefined when they carry none. The key can only be a key there: a string holding it
 * has its quotes escaped, and one that is a value is followed by no colon.
 */
export function sequenceAfter(bytes: Uint8Array | undefined): number | undefined {
  if (bytes === undefined) return undefined;
  let at = lastIndexOf.call(bytes, SEQUENCE_KEY);
  while (at !== -1) {
    const colon = skipSpace(bytes, at + SEQUENCE_KEY.length);
    if (bytes[colon] === COLON) return numberAt(bytes, skipSpace(bytes, colon + 1));
    // A negative start counts from the end: the search stops at the first byte instead.
    at = at === 0 ? -1 : lastIndexOf.call(bytes, SEQUENCE_KEY, at - 1);
  }
  return undefined;
}

/**
 * The id of the first `response` object in `bytes` (a relayed Responses stream's read: its
 * `response.created` carries one, `{"response":{"id":"resp_…",…}`, the id its first key as OpenAI
 * writes it), or undefined when none is there (the gateway's own id serves then). The key is a key there: one inside a string
 * has its quotes escaped, and `"response.created"` goes on past `response`.
 */
export function responseIdIn(bytes: Uint8Array): string | undefined {
  const key = indexOf.call(bytes, RESPONSE_KEY);
  if (key === -1) return undefined;
  let at = skipSpace(bytes, key + RESPONSE_KEY.length);
  if (bytes[at] !== COLON) return undefined;
  at = skipSpace(bytes, at + 1);
  if (bytes[at] !== OPEN_BRACE) return undefined;
  at = skipSpace(bytes, at + 1);
  if (!startsAt(bytes, ID_KEY, at)) return undefined;
  at = skipSpace(bytes, at + ID_KEY.length);
  if (bytes[at] !== COLON) return undefined;
  at = skipSpace(bytes, at + 1);
  if (bytes[at] !== QUOTE) return undefined;
  const end = bytes.indexOf(QUOTE, at + 1);
  return end === -1 ? undefined : new TextDecoder().decode(bytes.subarray(at + 1, end));
}

/** Whether `bytes` holds `word` at `at`. */
function startsAt(bytes: Uint8Array, word: Uint8Array, at: number): boolean {
  for (let i = 0; i < word.length; i++) if (bytes[at + i] !== word[i]) return false;
  return true;
}

/** The number after the whole number written at `from`, or undefined when none is. */
function numberAt(bytes: Uint8Array, from: number): number | undefined {
  let value = 0;
  let p = from;
  for (let digit = (bytes[p] ?? 0) - ZERO; digit >= 0 && digit <= 9; digit = (bytes[++p] ?? 0) - ZERO)
    value = value * 10 + digit;
  return p === from ? undefined : value + 1;
}

function skipSpace(bytes: Uint8Array, from: number): number {
  let p = from;
  while (bytes[p] === SPACE || bytes[p] === TAB) p++;
  return p;
}
