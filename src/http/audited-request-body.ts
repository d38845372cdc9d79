import { BYTE_ORDER_MARK } from "../core/byte-order-mark.ts";
import type { JsonObject } from "../core/dialect.ts";

// ignoreBOM: a body's leading byte-order mark is its own, kept as it came (the parse skips it), as
// the stores keep it (audit-row-fields.ts).
const decoder = new TextDecoder("utf-8", { ignoreBOM: true });
const BACKSLASH = 92;
const SLASH = 47;
const U = 117;

/**
 * The request body as the audit row keeps it (`audit.bodies`), before the redaction hook reads
 * it: the bytes as they came, decoded (their spacing, field order and leading byte-order mark
 * kept: one pass, where serialising the parsed body walked all of it, an image's megabytes
 * included), unless they hold an escape `JSON.stringify` does not write. The default hook matches credentials in text
 * (audit/redact-body.ts), and PHP's `json_encode` writes `/` as `\/`: `Bearer abc\/def…` was
 * redacted only up to its backslash, or not at all. Such a body, and one with a `\u` escape
 * (`\u0042earer`), is kept as the parsed body serialised again, as it always was; every other
 * escape (`\n`, `\"`, `\\`) is one `JSON.stringify` writes alike, and leaves the bytes as they came.
 * Bytes let go (none the row is made from should be) leave the parsed body serialised too.
 * `markLeftOut`: the body began with a byte-order mark its bytes leave out (read-json-body.ts).
 */
export function auditedRequestBody(
  bytes: Uint8Array | undefined,
  body: JsonObject,
  markLeftOut = false,
): string {
  if (bytes === undefined || holdsOtherEscape(bytes)) return JSON.stringify(body);
  return markLeftOut ? `${BYTE_ORDER_MARK}${decoder.decode(bytes)}` : decoder.decode(bytes);
}

/** Whether a JSON text holds `\/` or `\u` (a backslash is only ever an escape's first byte). */
function holdsOtherEscape(bytes: Uint8Array): boolean {
  for (let at = bytes.indexOf(BACKSLASH); at !== -1; at = bytes.indexOf(BACKSLASH, at + 2)) {
    const escaped = bytes[at + 1];
    if (escaped === SLASH || escaped === U) return true;
  }
  return false;
}
