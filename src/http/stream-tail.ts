import { isJsonObject } from "../core/dialect.ts";
import { type OpenedResponse, openedOf } from "./failed-response.ts";

// Where a relayed stream stands, read off the bytes written to its client, and only when it must
// be known (an error event to number, a response to fail): nothing is read of each chunk as it
// goes; a Responses stream keeps its first read (its `response.created`) for its response's id.

const COLON = 58;
const SPACE = 32;
const TAB = 9;
const ZERO = 48;
const encoder = new TextEncoder();
const SEQUENCE_KEY = encoder.encode('"sequence_number"');
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
 * The response a relayed Responses stream's opening read names (its `response.created` carries
 * the response, `{"response":{"id":"resp_…",…}}`, whatever the order of its keys): its id, its
 * `created_at` and the `previous_response_id` it says, as relayed; undefined when none does (the gateway's own id
 * serves then). Read only when a failure must be written, so the stream's reads are not searched
 * as they go: decoded then, event by event.
 */
export function openedResponse(opening: Uint8Array | undefined): OpenedResponse | undefined {
  if (opening === undefined) return undefined;
  for (const line of new TextDecoder().decode(opening).split("\n")) {
    if (!line.startsWith("data:")) continue;
    const response = responseIn(line.slice(5));
    if (response !== undefined) return response;
  }
  return undefined;
}

/** The `response` of an event's data, when it is JSON that has one with an id. */
function responseIn(data: string): OpenedResponse | undefined {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return undefined;
  }
  const response = isJsonObject(event) ? event.response : undefined;
  return isJsonObject(response) ? openedOf(response) : undefined;
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
