import {
  byteAt,
  digitsValue,
  hasControl,
  isStatusLine,
  isToken,
  lineEnd,
  sameName,
  sameText,
  statusCode,
} from "./head-text.ts";

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
  /** The head's bytes, `bytes[0, end)` (without the blank line), for `listedHead`. */
  readonly bytes: Buffer;
  readonly end: number;
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

const CHUNKED = "chunked";
const KEEP_ALIVE = "keep-alive";
const CLOSE = "close";

/**
 * Whether a comma-separated list holds the token (a loop, no closure; no list, or one word read
 * in place, the common cases, makes nothing).
 */
function hasToken(list: string, token: string): boolean {
  if (list === "") return false;
  if (list === KEEP_ALIVE || list === CLOSE) return list === token;
  for (const part of list.toLowerCase().split(",")) if (part.trim() === token) return true;
  return false;
}

/**
 * A framing header's value when it is the one word upstreams send (`Transfer-Encoding: chunked`,
 * `Connection: keep-alive` or `close`), in any case, read in place: no string, and no list split
 * out of it. Else undefined: the value is read as text.
 */
function wordIn(head: Buffer, from: number, to: number, known: string): string | undefined {
  const size = to - from;
  if (known === "transfer-encoding")
    return size === CHUNKED.length && sameName(head, from, CHUNKED) ? CHUNKED : undefined;
  if (size === KEEP_ALIVE.length && sameName(head, from, KEEP_ALIVE)) return KEEP_ALIVE;
  return size === CLOSE.length && sameName(head, from, CLOSE) ? CLOSE : undefined;
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

/** The header name `head[from, to)` as one of KNOWN_NAMES (lower case), or "" for any other. */
function knownName(head: Buffer, from: number, to: number): string {
  const size = to - from;
  if (size < 10 || size > 17) return "";
  // An index loop: no iterator object a header line.
  for (let k = 0; k < KNOWN_NAMES.length; k++) {
    const name = KNOWN_NAMES[k] as string;
    if (name.length === size && sameName(head, from, name)) return name;
  }
  return "";
}

const EVENT_STREAM = "text/event-stream";

/** Whether `head[from, to)` holds `lower` anywhere, ignoring ASCII case. */
function holdsName(head: Buffer, from: number, to: number, lower: string): boolean {
  for (let at = from; at + lower.length <= to; at++) if (sameName(head, at, lower)) return true;
  return false;
}

/**
 * Content-Type values read without a new string when their bytes are one of these: the two that
 * upstreams send, and the last other one seen (an upstream sends the same few again and again).
 */
const CONTENT_TYPES = ["application/json", EVENT_STREAM, ""];

function contentTypeText(head: Buffer, from: number, to: number): string {
  const size = to - from;
  for (let k = 0; k < CONTENT_TYPES.length; k++) {
    const known = CONTENT_TYPES[k] as string;
    if (known.length === size && sameText(head, from, known)) return known;
  }
  const text = head.toString("latin1", from, to);
  CONTENT_TYPES[CONTENT_TYPES.length - 1] = text;
  return text;
}

/**
 * Parses a response head (the status line and headers, `head[0, end)`, without the blank line
 * that ends them), read as Latin-1, the way header bytes are carried. Framing follows RFC 9112
 * §6.3: chunked when it is the last transfer coding, else a Content-Length (several must agree),
 * else the body runs to the connection's end. Anything it cannot read with certainty is an error,
 * never a guess.
 */
export function parseResponseHead(head: Buffer, end: number, listed = true): ResponseHead {
  let lineTo = lineEnd(head, 0, end);
  if (!isStatusLine(head, lineTo)) throw new MalformedResponseError("bad status line");
  const http11 = head[7] === 49;
  const code = statusCode(head);
  // A line break in the reason: the status line ended in a bare LF (read again as CRLF by the caller).
  if (lineTo > 13 && byteAt(head, 10, 13, lineTo) >= 0) throw new MalformedResponseError("bad status line");
  // A list of headers is sliced from the head's text (one string, then a slice a part: cheaper
  // than a string from the bytes a part); a head read in place makes no text.
  const text = listed ? head.toString("latin1", 0, end) : "";
  const statusText = listed && lineTo > 13 ? text.slice(13, lineTo) : "";
  const headers: [string, string][] = listed ? [] : UNLISTED;
  let length = -1;
  let transfer: string | undefined;
  let connection = "";
  let keepAliveMs = 0;
  let encoding: string | undefined;
  let eventStream = false;
  let contentType: string | undefined;
  let retryAfter: string | undefined;
  while (lineTo < end) {
    const start = lineTo + 2;
    lineTo = lineEnd(head, start, end);
    const colon = byteAt(head, 58, start, lineTo);
    // Also refuses obsolete line folding (a line that starts with white space).
    if (colon < 0 || !isToken(head, start, colon)) throw new MalformedResponseError("bad header line");
    // The value without the spaces and tabs around it (HTTP's optional white space).
    let from = colon + 1;
    let to = lineTo;
    while (from < to && isSpace(head[from] as number)) from++;
    while (to > from && isSpace(head[to - 1] as number)) to--;
    if (hasControl(head, from, to)) throw new MalformedResponseError("bad header value");
    if (listed) headers.push([text.slice(start, colon), text.slice(from, to)]);
    // Only the names framing and decoding depend on are read, in place: a value is made into
    // a string for them alone (none for the others, unless the list is kept).
    const known = knownName(head, start, colon);
    if (known === "") continue;
    // One length, the common case, read without a string.
    if (known === "content-length" && length < 0) {
      length = digitsValue(head, from, to);
      if (length >= 0) continue;
    }
    // The type too, when it is one already seen.
    if (known === "content-type") {
      contentType = contentTypeText(head, from, to);
      eventStream = holdsName(head, from, to, EVENT_STREAM);
      continue;
    }
    // The first framing word, when it is the common one.
    if (
      (known === "transfer-encoding" && transfer === undefined) ||
      (known === "connection" && connection === "")
    ) {
      const word = wordIn(head, from, to, known);
      if (word === CHUNKED) transfer = word;
      else if (word !== undefined) connection = word;
      if (word !== undefined) continue;
    }
    const value = head.toString("latin1", from, to);
    switch (known) {
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
  if (transfer === CHUNKED) framing = "chunked";
  else if (transfer !== undefined) {
    const codings = transfer.toLowerCase().split(",");
    framing = codings[codings.length - 1]?.trim() === CHUNKED ? "chunked" : "close";
  } else if (length >= 0) framing = "length";
  const keepAlive = http11 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive");
  return {
    status: code,
    statusText,
    headers,
    bytes: head,
    end,
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

const LF_LF = Buffer.from("\n\n");
const LF_CRLF = Buffer.from("\n\r\n");

/**
 * The first blank line after lines that end in a bare LF ("\n\n" or "\n\r\n") wholly within
 * `head[from, before)`, as [where the head ends, where the body starts].
 */
export function bareBlankLine(
  head: Buffer,
  from: number,
  before = head.byteLength,
): [number, number] | undefined {
  const lf = head.indexOf(LF_LF, from);
  const mixed = head.indexOf(LF_CRLF, from);
  // "\r\n\r\n" holds "\n\r\n" too: a blank line after a bare LF is one not preceded by CR.
  const bare = mixed >= 0 && mixed + 3 <= before && (mixed === 0 || head[mixed - 1] !== 13);
  if (lf >= 0 && lf + 2 <= before && (!bare || lf < mixed)) return [lf, lf + 2];
  return bare ? [mixed, mixed + 3] : undefined;
}

/**
 * Parses a head, `head[0, end)`; one whose lines end in a bare LF is read as if they ended in CRLF,
 * as `fetch` does. `listed` false skips the list of headers (an answer handed over without a
 * `Response` needs only what the head says of its framing, type and Retry-After).
 */
export function parseHead(head: Buffer, end: number, listed = true): ResponseHead {
  try {
    return parseResponseHead(head, end, listed);
  } catch (error) {
    if (!(error instanceof MalformedResponseError) || byteAt(head, 10, 0, end) < 0) throw error;
    const fixed = Buffer.from(head.toString("latin1", 0, end).replace(/\r?\n/g, "\r\n"), "latin1");
    return parseResponseHead(fixed, fixed.byteLength, listed);
  }
}

/** A head with its reason phrase and list of headers: itself, or its bytes parsed again for them. */
export const listedHead = (head: ResponseHead): ResponseHead =>
  head.listed ? head : parseHead(head.bytes, head.end);
