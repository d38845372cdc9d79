import { withoutShapes } from "../core/credential-shapes.ts";
import { withoutSecrets } from "../core/without-secrets.ts";

/**
 * Applied to bodies before they are stored; only called with `audit.bodies: true`. A request body
 * is the text the caller sent, so it may start with U+FEFF (a byte-order mark), which `JSON.parse`
 * refuses: a hook that parses it skips that first (one that throws stores "[redaction failed]").
 */
export type RedactBody = (body: string, kind: "request" | "response") => string;

/**
 * The default redaction hook for `audit.bodies: true`: stored bodies keep their text but never
 * a credential of a well-known shape (core/credentials.ts). Embedders with stricter rules (PII,
 * customer data) pass their own hook.
 */
export const redactSecrets: RedactBody = (body) => withoutShapes(body);

/** Runs the hook; one that fails must not let the unredacted body through. */
export function redactSafely(redact: RedactBody, body: string, kind: "request" | "response"): string {
  try {
    return redact(body, kind);
  } catch {
    return "[redaction failed]";
  }
}

/** Longest error text the gateway writes down: an upstream's message can be long, and is not ours to keep whole. */
const MAX_ERROR_TEXT = 500;

/**
 * An error message as the gateway writes it down — in an audit row, an access line, a span's
 * status: never a credential (neither one of the gateway's own, which an upstream may quote, nor
 * one of a known shape: core/credentials.ts), at most 500 characters. `oneLine` folds its
 * whitespace, for a log line.
 */
export function errorText(message: string, oneLine = false): string {
  const redacted = withoutSecrets(oneLine ? message.replace(/\s+/g, " ") : message);
  return redacted.length > MAX_ERROR_TEXT ? `${redacted.slice(0, MAX_ERROR_TEXT)}…` : redacted;
}
