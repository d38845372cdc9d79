/**
 * Applied to bodies before they are stored; only called with `audit.bodies: true`. A request body
 * is the text the caller sent, so it may start with U+FEFF (a byte-order mark), which `JSON.parse`
 * refuses: a hook that parses it skips that first (one that throws stores "[redaction failed]").
 */
export type RedactBody = (body: string, kind: "request" | "response") => string;

/**
 * Credentials a prompt or answer may carry, by their well-known shapes: mindgw keys, OpenAI
 * and Anthropic keys, bearer tokens, JWTs, and `"api_key": "..."`-style fields.
 */
const SECRETS: readonly [RegExp, string][] = [
  [/mgw_[A-Za-z0-9]{16,}/g, "[redacted]"],
  [/sk-(?:ant-)?[A-Za-z0-9_-]{16,}/g, "[redacted]"],
  [/eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g, "[redacted]"],
  [/(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, "$1[redacted]"],
];

/**
 * The default redaction hook for `audit.bodies: true`: stored bodies keep their text but never
 * a credential. Embedders with stricter rules (PII, customer data) pass their own hook.
 */
export const redactSecrets: RedactBody = (body) =>
  SECRETS.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), body);

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
 * status: never a credential, at most 500 characters. `oneLine` folds its whitespace, for a log line.
 */
export function errorText(message: string, oneLine = false): string {
  const redacted = redactSecrets(oneLine ? message.replace(/\s+/g, " ") : message, "response");
  return redacted.length > MAX_ERROR_TEXT ? `${redacted.slice(0, MAX_ERROR_TEXT)}…` : redacted;
}
