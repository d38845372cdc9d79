/** A response head that is not HTTP/1.x as we can read it. */
export class MalformedResponseError extends Error {}

/** What the connection needs from a response's status line and headers. */
export interface ResponseHead {
  readonly status: number;
  readonly statusText: string;
  /** In the order received, names as sent (`Headers` folds their case). */
  readonly headers: [string, string][];
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
}

const STATUS_LINE = /^HTTP\/1\.([01]) (\d{3})(?: ([^\r\n]*))?$/;
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const DIGITS = /^\d+$/;
const KEEP_ALIVE_TIMEOUT = /(?:^|[,;\s])timeout\s*=\s*(\d+)/i;

const hasToken = (list: string, token: string) =>
  list
    .toLowerCase()
    .split(",")
    .some((part) => part.trim() === token);

/**
 * Parses a response head (the status line and headers, without the blank line that ends them)
 * decoded as Latin-1, the way header bytes are carried. Framing follows RFC 9112 §6.3: chunked
 * when it is the last transfer coding, else a Content-Length (several must agree), else the body
 * runs to the connection's end. Anything it cannot read with certainty is an error, never a guess.
 */
export function parseResponseHead(text: string): ResponseHead {
  const lines = text.split("\r\n");
  const status = STATUS_LINE.exec(lines[0] ?? "");
  if (!status) throw new MalformedResponseError("bad status line");
  const http11 = status[1] === "1";
  const headers: [string, string][] = [];
  let length = -1;
  let transfer: string | undefined;
  let connection = "";
  let keepAliveMs = 0;
  let encoding: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i] as string;
    const colon = line.indexOf(":");
    const name = colon > 0 ? line.slice(0, colon) : "";
    // Also refuses obsolete line folding (a line that starts with white space).
    if (!TOKEN.test(name)) throw new MalformedResponseError("bad header line");
    const value = line.slice(colon + 1).trim();
    if (value.includes("\n") || value.includes("\r") || value.includes("\0"))
      throw new MalformedResponseError("bad header value");
    headers.push([name, value]);
    // Only the names framing and decoding depend on are compared (by length first: cheap).
    const size = name.length;
    switch (size === 10 || size === 14 || size === 16 || size === 17 ? name.toLowerCase() : "") {
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
  const code = Number(status[2]);
  let framing: ResponseHead["framing"] = "close";
  if (transfer !== undefined) {
    const codings = transfer.toLowerCase().split(",");
    framing = codings[codings.length - 1]?.trim() === "chunked" ? "chunked" : "close";
  } else if (length >= 0) framing = "length";
  const keepAlive = http11 ? !hasToken(connection, "close") : hasToken(connection, "keep-alive");
  return {
    status: code,
    statusText: status[3] ?? "",
    headers,
    framing,
    length: Math.max(length, 0),
    keepAlive,
    keepAliveMs,
    encoding,
  };
}
