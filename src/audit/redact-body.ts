import { withoutShapes } from "../core/credential-shapes.ts";
import { longestHeldCredential } from "../core/credentials.ts";
import { isThenable } from "../core/is-thenable.ts";
import { withoutSecrets } from "../core/without-secrets.ts";

/**
 * Applied to bodies before they are stored; only called with `audit.bodies: true`. A request body
 * is the text the caller sent, so it may start with U+FEFF (a byte-order mark), which `JSON.parse`
 * refuses: a hook that parses it skips that first (one that throws, or answers no text, stores
 * "[redaction failed]").
 */
export type RedactBody = (body: string, kind: "request" | "response") => string;

/**
 * The default redaction hook for `audit.bodies: true`: stored bodies keep their text but never
 * a credential of a well-known shape (core/credentials.ts). Embedders with stricter rules (PII,
 * customer data) pass their own hook.
 */
export const redactSecrets: RedactBody = (body) => withoutShapes(body);

/** What a body is stored as when the hook failed. */
const REDACTION_FAILED = "[redaction failed]";

/**
 * Runs the hook; one that fails must not let the unredacted body through. An answer that is no
 * text (a JavaScript hook's number, an `async` hook's promise) has failed too: the row's encoder
 * threw on it, which lost the request's end and took the audit storage for failed. A promise's
 * rejection is handled here: left unhandled, it ends a Bun process.
 */
export function redactSafely(redact: RedactBody, body: string, kind: "request" | "response"): string {
  try {
    const redacted: unknown = redact(body, kind);
    if (typeof redacted === "string") return redacted;
    if (isThenable(redacted)) redacted.then(undefined, ignore);
    return REDACTION_FAILED;
  } catch {
    return REDACTION_FAILED;
  }
}

const ignore = () => {};

/** Longest error text the gateway writes down: an upstream's message can be long, and is not ours to keep whole. */
const MAX_ERROR_TEXT = 500;

/**
 * What is read past the 500 characters kept, so that a credential that starts before the cut is
 * still whole when it is looked for: the longest of a known shape is far shorter, and one the
 * gateway holds (a service account's private key) is read to its end.
 */
const MARGIN = 200;

/**
 * An error message as the gateway writes it down — in an audit row, an access line, a span's
 * status: never a credential (neither one of the gateway's own, which an upstream may quote, nor
 * one of a known shape: core/credentials.ts), at most 500 characters. `oneLine` folds its
 * whitespace, for a log line. A message of a megabyte costs what one of 700 characters and the
 * longest credential held does: it is cut before it is read.
 */
export function errorText(message: string, oneLine = false): string {
  const readTo = MAX_ERROR_TEXT + MARGIN + longestHeldCredential();
  const head = message.length > readTo ? message.slice(0, readTo) : message;
  const redacted = withoutSecrets(oneLine ? head.replace(/\s+/g, " ") : head);
  const cut = redacted.length > MAX_ERROR_TEXT || head !== message;
  return cut ? `${redacted.slice(0, MAX_ERROR_TEXT)}…` : redacted;
}
