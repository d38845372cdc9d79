import type { Origin } from "./exchange.ts";
import type { RequestBytes } from "./request-bytes.ts";

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]);
const INIT_KEYS = new Set(["method", "headers", "body", "signal", "cancel"]);
/** What `fetch` (and only it) decides about a request's framing and connection. */
const OWN_HEADERS = new Set([
  "host",
  "connection",
  "content-length",
  "transfer-encoding",
  "keep-alive",
  "upgrade",
  "te",
  "trailer",
  "expect",
  "proxy-connection",
  "proxy-authorization",
]);
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** A path and query that the URL parser leaves exactly as written (no dot segments, nothing it escapes). */
const PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;
const DOT_SEGMENT = /\/\.|\/%2e/i;
const HOST = /^(?:[a-z0-9-]+\.)*[a-z0-9-]*[a-z-][a-z0-9-]*$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const PORT = /^[1-9]\d{0,4}$/;
const latin1 = (text: string) => Buffer.from(text, "latin1");

/** Where a URL goes and the path it asks for; null for a URL left to `fetch`. */
interface Target {
  readonly origin: Origin;
  /** The request line's start, `METHOD ` aside: ` /path?query HTTP/1.1` and the Host header. */
  readonly line: Uint8Array;
  /** The same with `POST` in front (nearly every call): written in one copy. */
  readonly postLine: Uint8Array;
}

// Upstream URLs and header names are few and repeat on every call: each is checked once.
const targets = new Map<string, Target | null>();
const origins = new Map<string, Origin | null>();
/** A header name's kind: refused (-1), plain (0), or one whose default `fetch` would add (1–3). */
const names = new Map<string, number>();
const CACHE_LIMIT = 1024;
const REFUSED = -1;
const USER_AGENT = 1;
const ACCEPT = 2;
const ACCEPT_ENCODING = 3;
/** Added to a name's kind when it is not in lower case (two spellings of one name may meet). */
const MIXED_CASE = 4;

/**
 * The head's lines after the caller's headers, by which of the three defaults the caller gave
 * (bit `1 << kind`) and whether a length follows (bit 0: `Content-Length: `, its value written
 * next): `Connection`, then each default not given. One copy a request where five pieces were
 * five (80–86 ns against 15–18 in a loop: docs/BENCHMARKS-HISTORY.md, session 17).
 */
const TAILS: readonly Uint8Array[] = Array.from({ length: 16 }, (_, bits) =>
  latin1(
    "Connection: keep-alive\r\n" +
      (bits & (1 << USER_AGENT) ? "" : `User-Agent: Bun/${Bun.version}\r\n`) +
      (bits & (1 << ACCEPT) ? "" : "Accept: */*\r\n") +
      (bits & (1 << ACCEPT_ENCODING) ? "" : "Accept-Encoding: gzip, deflate, br, zstd\r\n") +
      (bits & 1 ? "Content-Length: " : ""),
  ),
);

function remember<T>(cache: Map<string, T>, key: string, value: T): T {
  if (cache.size >= CACHE_LIMIT) cache.clear();
  cache.set(key, value);
  return value;
}

/**
 * The origin of an `http://host:port` authority, or null when it is anything the URL parser
 * would rewrite (upper case, a default port, a numeric host not in dotted-quad form, IPv6,
 * credentials): those go the native way, which normalises them exactly as `fetch` does.
 */
function originOf(authority: string): Origin | null {
  const known = origins.get(authority);
  if (known !== undefined) return known;
  const colon = authority.lastIndexOf(":");
  const hostname = colon < 0 ? authority : authority.slice(0, colon);
  const port = colon < 0 ? "80" : authority.slice(colon + 1);
  const valid =
    (HOST.test(hostname) || IPV4.test(hostname)) &&
    (colon < 0 || (PORT.test(port) && Number(port) <= 65535 && port !== "80"));
  return remember(origins, authority, valid ? { key: authority, hostname, port: Number(port) } : null);
}

function targetOf(url: string): Target | null {
  const known = targets.get(url);
  if (known !== undefined) return known;
  const authorityEnd = url.slice(7).search(/[/?#]/);
  const authority = authorityEnd < 0 ? url.slice(7) : url.slice(7, 7 + authorityEnd);
  const origin = originOf(authority);
  let path = authorityEnd < 0 ? "/" : url.slice(7 + authorityEnd);
  if (path.charCodeAt(0) === 63) path = `/${path}`; // "?…" alone
  const valid = origin && PATH.test(path) && !DOT_SEGMENT.test(path);
  const line = ` ${path} HTTP/1.1\r\nHost: ${authority}\r\n`;
  return remember(
    targets,
    url,
    valid ? { origin, line: latin1(line), postLine: latin1(`POST${line}`) } : null,
  );
}

function kindOf(name: string): number {
  const known = names.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  let kind = 0;
  if (!TOKEN.test(name) || OWN_HEADERS.has(lower)) kind = REFUSED;
  else if (lower === "user-agent") kind = USER_AGENT;
  else if (lower === "accept") kind = ACCEPT;
  else if (lower === "accept-encoding") kind = ACCEPT_ENCODING;
  if (kind !== REFUSED && lower !== name) kind += MIXED_CASE;
  return remember(names, name, kind);
}

/**
 * Encodes an `http://` call as HTTP/1.1 the way Bun's `fetch` sends it: the caller's headers,
 * then `Host`, `Connection`, and `User-Agent`, `Accept`, `Accept-Encoding` unless given, and a
 * `Content-Length` on every method but GET and HEAD. It is written into `into` (its bytes, from
 * 0 to its size), and the origin it goes to returned; null for anything it does not handle
 * exactly as `fetch` would: other init fields, a body that is neither text nor bytes, headers
 * `fetch` would refuse, normalise or own, a URL the parser would rewrite.
 */
export function encodeRequest(url: string, init: RequestInit | undefined, into: RequestBytes): Origin | null {
  const target = targetOf(url);
  if (!target) return null;
  let method = "GET";
  let body: string | Uint8Array | undefined;
  let headers: unknown;
  if (init) {
    for (const key in init) if (!INIT_KEYS.has(key)) return null;
    if (init.method !== undefined) method = init.method;
    if (!METHODS.has(method)) return null;
    const given = init.body;
    if (typeof given === "string" || given instanceof Uint8Array) body = given;
    else if (given !== undefined && given !== null) return null;
    headers = init.headers;
  }
  const bodyless = method === "GET" || method === "HEAD";
  if (body !== undefined && bodyless) return null;

  into.reset();
  if (method === "POST") into.raw(target.postLine);
  else {
    into.ascii(method);
    into.raw(target.line);
  }
  let seen = 0;
  let mixedCase = false;
  if (typeof headers === "object" && headers !== null) {
    if (Array.isArray(headers) || headers instanceof Headers) return null;
    const record = headers as Record<string, unknown>;
    for (const name in record) {
      const value = record[name];
      let kind = kindOf(name);
      if (kind === REFUSED || typeof value !== "string") return null;
      if (kind >= MIXED_CASE) {
        mixedCase = true;
        kind -= MIXED_CASE;
      }
      if (kind > 0) seen |= 1 << kind;
      if (!into.header(name, value)) return null;
    }
    // Two spellings of one name are one header to `fetch` (values joined): rare, so left to it.
    if (mixedCase) {
      const lower = Object.keys(record).map((name) => name.toLowerCase());
      if (new Set(lower).size !== lower.length) return null;
    }
  } else if (headers !== undefined) return null;

  into.raw(TAILS[seen | (bodyless ? 0 : 1)] as Uint8Array);
  if (!bodyless) {
    const text = typeof body === "string" || body === undefined ? (body ?? "") : undefined;
    const length = text === undefined ? (body as Uint8Array).byteLength : Buffer.byteLength(text);
    into.decimal(length);
    into.pair(13, 10);
    into.pair(13, 10);
    if (text === undefined) into.body(body as Uint8Array);
    else into.utf8(text, length);
  } else into.pair(13, 10);
  return target.origin;
}
