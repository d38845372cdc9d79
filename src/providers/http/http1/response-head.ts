import { digitsValue, hasControl, isStatusLine, isToken, sameName, statusCode } from "./head-text.ts";

/** A response head that is not HTTP/1.x as we can read it. */
export class MalformedResponseError extends Error {}

/** What the connection needs from a response's status line and headers. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  /**
   * In the order received, names as sent (`Headers` folds their case); empty when the head was
   * parsed without its list, and `statusText` then too (`listedHead` reads them).
   */
  readonly headers: [string, string][];
  /** The head's text, for `headerList`. */
  readonly text: string;
  /** `headers` holds the list. */
  readonly listed: boolean;
  /** How the body is delimited: a length, chunked, or the connection's end. */
  readonly framing: "length" | "chunked" | "close";
  /** The declared length (framing "length"). */
  readonly length: number;
  /** The server keeps the connection open after this exchange (a body read to its end aside). */
  readonly keepAlive: boolean;
  /** The server's `Keep-Alive: timeout=N`, in milliseconds; 0 when it named none. */
  readonly keepAliveMs: number;
  /** `Content-Encoding`, when the body is encoded (not `identity`). */
  readonly encoding: string | undefined;
  /** A `text/event-stream` body: read as a stream, never whole. */
  readonly eventStream: boolean;
  /** The last `Content-Type` and `Retry-After` values (a whole answer's head: lean-fetch.ts). */
  readonly contentType: string | undefined;
  readonly retryAfter: string | undefined;
}

const DIGITS = /^\d+$/;
const KEEP_ALIVE_TIMEOUT = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i;

/** Whether a comma-separated list holds the token (a loop, no closure; no list, the common case, makes nothing). */
function hasToken(list: string, token: string): boolean {
  if (list === "") return false;
  for (const part of list.toLowerCase().split(",")) if (part.trim() === token) return true;
  return false;
}

/** Shared by every head parsed without its list (never written to). */
const UNLISTED: [string, string][] = [];

const isSpace = (code: number) => code === 32 || code === 9;

/** The names framing and decoding depend on, by length (the only ones compared). */
const KNOWN_NAMES = [
  "content-type",
  "retry-after",
  "content-length",
  "transfer-encoding",
  "connection",
  "content-encoding",
  "keep-alive",
];

/** The header name `text[from, to)` as one of KNOWN_NAMES (lower case), or "" for any other. */
function knownName(text: string, from: number, to: number): string {
  const size = to - from;
  if (size < 10 || size > 17) return "";
  // An index loop: no iterator object a header line.
  for (let k = 0; k < KNOWN_NAMES.length; k++) {
    const name = KNOWN_NAMES[k] as string;
    if (name.length === size && sameName(text, from, name)) return name;
  }
  return "";
}

/**
 * Parses a response head (the status line and headers, without the blank line that ends them)
 * decoded as Latin-1, the way header bytes are carried. Framing follows RFC 9112 §6.3: chunked
 * when it is the last transfer coding, else a Content-Length (several must agree), else the body
 * runs to the connection's end. Anything it cannot read with certainty is an error, never a guess.
 */
export function parseResponseHead(text: string, listed = true): ResponseHead {
  let end = text.indexOf("\r\n");
  if (end < 0) end = text.length;
  if (!isStatusLine(text, end)) throw new MalformedResponseError("bad status line");
  const http11 = text.charCodeAt(7) === 49;
  const code = statusCode(text);
  // A line break in the reason: the status line ended in a bare LF (read again as CRLF by the caller).
  const lf = end > 13 ? text.indexOf("\n", 13) : -1;
  if (lf !== -1 && lf < end) throw new MalformedResponseError("bad status line");
  const statusText = listed && end > 13 ? text.slice(13, end) : "";
  const headers: [string, string][] = listed ? [] : UNLISTED;
  let length = -1;
  let transfer: string | undefined;
  let connection = "";
  let keepAliveMs = 0;
  let encoding: string | undefined;
  let eventStream = false;
  let contentType: string | undefined;
  let retryAfter: string | undefined;
  while (end < text.length) {
    const start = end + 2;
    end = text.indexOf("\r\n", start);
    if (end < 0) end = text.length;
    const colon = text.indexOf(":", start);
    // Also refuses obsolete line folding (a line that starts with white space).
    if (colon >= end || !isToken(text, start, colon)) throw new MalformedResponseError("bad header line");
    // The value without the spaces and tabs around it (HTTP's optional white space).
    let from = colon + 1;
    let to = end;
    while (from < to && isSpace(text.charCodeAt(from))) from++;
    while (to > from && isSpace(text.charCodeAt(to - 1))) to--;
    if (hasControl(text, from, to)) throw new MalformedResponseError("bad header value");
    if (listed) headers.push([text.slice(start, colon), text.slice(from, to)]);
    // Only the names framing and decoding depend on are read, in place: a value is made into
    // a string for them alone (none for the others, unless the list is kept).
    const known = knownName(text, start, colon);
    if (known === "") continue;
    // One length, the common case, read without a string.
    if (known === "content-length" && length < 0) {
      length = digitsValue(text, from, to);
      if (length >= 0) continue;
    }
    const value = text.slice(from, to);
    switch (known) {
      case "content-type":
        contentType = value;
        eventStream = value.toLowerCase().includes("text/event-stream");
        break;
      case "retry-after":
        retryAfter = value;
        break;
      case "content-length":
        for (const part of value.split(",")) {
          const n = part.trim();
          if (!DIGITS.test(n) || (length >= 0 && Number(n) !== length))
            throw new MalformedResponseError("bad content-length");
          length = Number(n);
        }
        break;
      case "transfer-encoding":
        transfer = transfer === undefined ? value : `${transfer}, ${value}`;
        break;
      case "connection":
        connection = connection ? `${connection}, ${value}` : value;
        break;
      case "content-encoding":
        if (value.toLowerCase() !== "identity") encoding = encoding ? `${encoding}, ${value}` : value;
        break;
      case "keep-alive": {
        const timeout = KEEP_ALIVE_TIMEOUT.exec(value);
        if (timeout) keepAliveMs = Number(timeout[1]) * 1000;
        break;
      }
    }
  }
  let framing: ResponseHead["framing"] = "close";
  if (transfer !== undefined) {
    const codings = transfer.toLowerCase().split(",");
    framing = codings[codings.length - 1]?.trim() === "chunked" ? "chunked" : "close";
  } else if (length >= 0) framing = "length";
  const keepAlive = http11 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive");
  return {
    status: code,
    statusText,
    headers,
    text,
    listed,
    framing,
    length: Math.max(length, 0),
    keepAlive,
    keepAliveMs,
    encoding,
    eventStream,
    contentType,
    retryAfter,
  };
}

/**
 * The first blank line after lines that end in a bare LF ("\n\n" or "\n\r\n") in a head's text or
 * bytes (Latin-1: one byte a character), as [where the head ends, where the body starts].
 */
export function bareBlankLine(head: string | Buffer, from: number): [number, number] | undefined {
  const lf = head.indexOf("\n\n", from);
  const mixed = head.indexOf("\n\r\n", from);
  // "\r\n\r\n" holds "\n\r\n" too: a blank line after a bare LF is one not preceded by CR.
  const bare = mixed >= 0 && (mixed === 0 || head[mixed - 1] !== (typeof head === "string" ? "\r" : 13));
  if (lf >= 0 && (!bare || lf < mixed)) return [lf, lf + 2];
  return bare ? [mixed, mixed + 3] : undefined;
}

/**
 * Parses a head; one whose lines end in a bare LF is read as if they ended in CRLF, as `fetch` does.
 * `listed` false skips the list of headers (an answer handed over without a `Response` needs only
 * what the head says of its framing, type and Retry-After).
 */
export function parseHead(text: string, listed = true): ResponseHead {
  try {
    return parseResponseHead(text, listed);
  } catch (error) {
    if (!(error instanceof MalformedResponseError) || !text.includes("\n")) throw error;
    return parseResponseHead(text.replace(/\r?\n/g, "\r\n"), listed);
  }
}

/** A head with its reason phrase and list of headers: itself, or its text parsed again for them. */
export const listedHead = (head: ResponseHead): ResponseHead => (head.listed ? head : parseHead(head.text));
