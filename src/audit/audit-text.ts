/**
 * The most characters (UTF-16 code units) of a text someone else chose that an audit row or an
 * event keeps: a client's User-Agent, and on SQLite every interned value (model, route, error
 * class). A header may be kilobytes long; kept whole it was copied into every event and every
 * PostgreSQL row of every request, while SQLite kept this much of it.
 */
export const MAX_AUDIT_TEXT = 512;

/**
 * `text` cut to `MAX_AUDIT_TEXT` characters, never between the two halves of a surrogate pair; the
 * very string (no copy) when it is that short, as nearly every one is.
 */
export function auditText(text: string): string {
  if (text.length <= MAX_AUDIT_TEXT) return text;
  const last = text.charCodeAt(MAX_AUDIT_TEXT - 1);
  // A high surrogate last: its pair would be cut in two, so it goes too.
  return text.slice(0, last >= 0xd800 && last <= 0xdbff ? MAX_AUDIT_TEXT - 1 : MAX_AUDIT_TEXT);
}

/** A User-Agent as an audit row keeps it, on either store: cut as `auditText` cuts; none stays none. */
export const auditUserAgent = (agent: string | null): string | null =>
  agent === null ? null : auditText(agent);

/**
 * The request's User-Agent as its audit row and its events keep it: cut once, where the request is
 * taken in, so no event, access line or row holds more.
 */
export const userAgentOf = (headers: Headers): string | null => auditUserAgent(headers.get("user-agent"));
