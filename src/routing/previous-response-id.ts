import { matches, skipSpace } from "./relay-event-checks.ts";

const encoder = new TextEncoder();

/**
 * The key with both its quotes: a key inside a string value is escaped (`\"`), so a match is
 * always a key of the JSON itself.
 */
export const PREVIOUS_KEY = encoder.encode('"previous_response_id"');
const NULL = encoder.encode("null");
const COLON = 58;
/** Buffer's native search, called on the bytes themselves: no Buffer view made for it. */
const indexOf = Buffer.prototype.indexOf as (this: Uint8Array, value: Uint8Array, from: number) => number;

/**
 * A native Responses answer's bytes (a whole body, or one event of its stream) with their response's
 * `previous_response_id` said as `said` (the caller's id, as a JSON string) where the upstream said
 * `null`: a chain the gateway expanded reached it without the id (adapt-dialect.ts
 * `nativeResponses`), and the caller is answered as a chain the upstream held, or a translated
 * route, answers it. The bytes are edited, not parsed and written again: the rest goes as the
 * upstream spelled it. `at`: where the key is, when already found; undefined when there is nothing
 * to edit (no such key, or another value under it).
 */
export function withPreviousId(
  bytes: Uint8Array,
  said: Uint8Array,
  at = indexOf.call(bytes, PREVIOUS_KEY, 0),
): Uint8Array<ArrayBuffer> | undefined {
  if (at === -1) return undefined;
  const end = bytes.length;
  let value = skipSpace(bytes, at + PREVIOUS_KEY.length, end);
  if (bytes[value] !== COLON) return undefined;
  value = skipSpace(bytes, value + 1, end);
  if (!matches(bytes, value, end, NULL)) return undefined;
  const out = new Uint8Array(bytes.length - NULL.length + said.length);
  out.set(bytes.subarray(0, value));
  out.set(said, value);
  out.set(bytes.subarray(value + NULL.length), value + said.length);
  return out;
}

/** The caller's id as `withPreviousId` writes it: a JSON string's bytes. */
export const saidPreviousId = (id: string): Uint8Array => encoder.encode(JSON.stringify(id));
