import { MAY_HOLD_SHAPE, REDACTED, withoutShapes } from "./credential-shapes.ts";
import { ValueSearch } from "./value-search.ts";

/**
 * The credentials a text may quote, taken out before anyone reads it: the gateway's own upstream
 * credentials, word for word (an upstream's error may quote the key it was sent: "Invalid request
 * for key …"), and credentials of any account by their well-known shapes. What a caller is told of
 * an upstream's error (scrub-account.ts) and what the gateway writes down (audit/redact-body.ts's
 * `errorText`: audit rows, log lines, span status) both pass here, so neither can hold one. Those
 * run on error paths only; one check runs on requests that did not fail: a request that sends its
 * own `x-request-id` has it asked `mayHoldCredential` (request-id.ts), two scans of at most 128
 * characters (the shapes' regex, then the held values' search).
 */
/**
 * A configured value shorter than this is no secret worth the name (`api_key: none`, `EMPTY` for
 * a local server) and would take ordinary words out of messages.
 */
const SHORTEST = 8;

/**
 * Each holder's credentials (a gateway's config versions in use, a worker's upstream key), by a
 * token the holder keeps: the map holds the token, never the holder.
 */
const held = new Map<object, readonly string[]>();
/** Every holder's, as one search (a key that holds another is taken out whole). */
let known = new ValueSearch([], SHORTEST);
/** The longest of them. */
let longest = 0;

/**
 * Sets the credentials `holder` knows, in place of those it set before: the gateway's at each
 * config version it serves with, a worker's once. An empty list forgets the holder.
 */
export function holdCredentials(holder: object, values: Iterable<string>): void {
  const kept = [...new Set([...values].filter((value) => value.length >= SHORTEST))];
  if (kept.length === 0) held.delete(holder);
  else held.set(holder, kept);
  const every = new Set([...held.values()].flat());
  known = new ValueSearch(every, SHORTEST);
  longest = Math.max(0, ...[...every].map((value) => value.length));
}

/** The length of the longest credential held (0 when none): how far past a cut a text must be read. */
export const longestHeldCredential = (): number => longest;

/** Whether `text` may hold a credential: true for any that does; cheap for those that do not. */
export const mayHoldCredential = (text: string): boolean => MAY_HOLD_SHAPE.test(text) || known.holdsAny(text);

/**
 * `text` with every known credential and every credential shape replaced; the very string when
 * none. One pass for the known ones, however many are held.
 */
export function withoutCredentials(text: string): string {
  const out = known.replaceAll(text, REDACTED);
  return MAY_HOLD_SHAPE.test(out) ? withoutShapes(out) : out;
}

/**
 * `text` (an error a CLI command writes, a gateway's words quoted in it) without `value`, the key
 * it was called with: the very string when it does not hold it or when `value` is too short to be a
 * secret (an `x` taken out would blank every `x` of the message's own words).
 */
export function textWithout(text: string, value: string): string {
  return value.length < SHORTEST ? text : text.replaceAll(value, REDACTED);
}

/**
 * `bytes` (an upstream's error body, as a worker relays it) without `value`: the very bytes when
 * they do not hold it, which is one search.
 */
export function bytesWithout(bytes: Uint8Array, value: string): Uint8Array {
  if (
    value.length < SHORTEST ||
    Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).indexOf(value) < 0
  )
    return bytes;
  return new TextEncoder().encode(new TextDecoder().decode(bytes).replaceAll(value, REDACTED));
}
