import { mayHoldCredential, withoutCredentials } from "../core/credentials.ts";
import type { Dialect } from "../core/dialect.ts";
import { FRESH_ID_PREFIX } from "../core/fresh-id-word.ts";

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * The caller's `x-request-id` when it is safe to echo and log, else a fresh one. Fresh ids are
 * UUIDv7 (time-ordered): the audit log indexes request ids, and ordered keys append to that
 * index instead of landing on random pages, which halved the audit batch write time measured
 * in docs/BENCHMARKS-HISTORY.md. Not a secret, so the embedded timestamp is harmless. `now`: the
 * request's start time when the caller has read the clock already (a clock read is ~40–110 ns on
 * a virtual machine, and a request made ~23 of them: docs/BENCHMARKS-HISTORY.md, session 16).
 */
export function requestIdOf(headers: Headers, now?: number): string {
  return givenRequestId(headers) ?? freshRequestId(now);
}

/**
 * An id that holds a credential (a key sent in the wrong header): never the request's id, which is
 * echoed, logged and stored, where a plain key never is. Only a request that sends an id pays for
 * the check: two scans of at most 128 characters (`mayHoldCredential`: the shapes' regex, then the
 * held credentials' search), nearly every id ruled out by them; the redaction only for one that is not.
 */
const holdsCredential = (id: string): boolean => mayHoldCredential(id) && withoutCredentials(id) !== id;

/** The caller's `x-request-id` when it is safe to echo and log, else undefined. */
export function givenRequestId(headers: Headers): string | undefined {
  const given = headers.get("x-request-id");
  return given && SAFE_ID.test(given) && !holdsCredential(given) ? given : undefined;
}

/** The `x-request-id` header of an answer given outside the request pipeline (probes). */
export const requestIdHeader = (request: Request) => ({ "x-request-id": requestIdOf(request.headers) });

/** An answer's own headers and its `x-request-id`, for one given outside the request pipeline (static pages). */
export const withRequestId = (request: Request, headers: Record<string, string>): Record<string, string> => ({
  ...requestIdHeader(request),
  ...headers,
});

const PREFIX = FRESH_ID_PREFIX;
const HEX = new TextEncoder().encode("0123456789abcdef");
/** The id written in place, read out as one string: `req_` and a UUIDv7's 32 hex digits. */
const id = Buffer.alloc(PREFIX.length + 32);
id.write(PREFIX, 0, "latin1");
/** Random bytes, 11 an id (its 74 random bits in 19 digits), refilled a page at a time. */
const pool = new Uint8Array(4096);
let taken = pool.length;

/**
 * `req_` and a UUIDv7 in hex (48 bits of Unix milliseconds, the version, 74 random bits with the
 * variant), as one string: `Bun.randomUUIDv7()`'s text, its dashes taken out and the prefix
 * added made three strings a request (docs/BENCHMARKS-HISTORY.md, session 12).
 */
export function freshRequestId(now: number = Date.now()): string {
  if (taken + 11 > pool.length) {
    crypto.getRandomValues(pool);
    taken = 0;
  }
  const start = PREFIX.length;
  // The 48 bits of milliseconds as two 24-bit integers (bit operations, no division per digit).
  let high = Math.floor(now / 0x1000000);
  let low = now & 0xffffff;
  for (let at = start + 11; at >= start + 6; at--) {
    id[at] = HEX[low & 15] as number;
    low >>= 4;
  }
  for (let at = start + 5; at >= start; at--) {
    id[at] = HEX[high & 15] as number;
    high >>= 4;
  }
  id[start + 12] = 0x37; // "7": the version
  for (let at = start + 13; at < id.length; at += 2) {
    const byte = pool[taken++] as number;
    id[at] = HEX[byte >> 4] as number;
    if (at + 1 < id.length) id[at + 1] = HEX[byte & 15] as number;
  }
  // The variant (binary 10) in the top bits of the 17th digit: 8, 9, a or b.
  id[start + 16] = HEX[8 | ((pool[taken++] as number) & 3)] as number;
  return id.toString("latin1", 0, id.length);
}

/** Every response names its request; Anthropic's SDK reads `request-id` (its `requestID`). */
export const idHeaders = (requestId: string, dialect: Dialect): Record<string, string> =>
  dialect === "anthropic"
    ? { "x-request-id": requestId, "request-id": requestId }
    : { "x-request-id": requestId };
