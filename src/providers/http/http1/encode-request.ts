import type { Origin } from "./http1-connection.ts";

/** A request as bytes on the wire, and where it goes. */
export interface EncodedRequest {
  readonly origin: Origin;
  readonly bytes: Uint8Array;
  /** A HEAD request: the answer has no body whatever its headers say. */
  readonly headOnly: boolean;
}

const METHODS = new Set(["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD"]);
const INIT_KEYS = new Set(["method", "headers", "body", "signal"]);
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
/** Latin-1 without control characters, and nothing `fetch` would trim off either end. */
const VALUE = /^(?:[\x21-\x7e\x80-\xff](?:[\t\x20-\x7e\x80-\xff]*[\x21-\x7e\x80-\xff])?)?$/;
/** A path and query that the URL parser leaves exactly as written (no dot segments, nothing it escapes). */
const PATH = /^\/[A-Za-z0-9\-._~!$&()*+,;=:@/?%]*$/;
const DOT_SEGMENT = /\/\.|\/%2e/i;
const HOST = /^(?:[a-z0-9-]+\.)*[a-z0-9-]*[a-z-][a-z0-9-]*$/;
const IPV4 = /^(?:(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)\.){3}(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;
const PORT = /^[1-9]\d{0,4}$/;

const origins = new Map<string, Origin | null>();

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
  const origin = valid ? { key: authority, hostname, port: Number(port) } : null;
  if (origins.size > 256) origins.clear();
  origins.set(authority, origin);
  return origin;
}

/**
 * Encodes an `http://` call as HTTP/1.1 bytes the way Bun's `fetch` sends it: the caller's
 * headers, then `Connection`, `User-Agent`, `Accept`, `Host`, `Accept-Encoding` (each unless
 * given) and a `Content-Length` on every method but GET and HEAD. Null for anything it does not
 * handle exactly as `fetch` would: other init fields, a body that is neither text nor bytes,
 * headers `fetch` would refuse, normalise or own, a URL the parser would rewrite.
 */
export function encodeRequest(url: string, init: RequestInit | undefined): EncodedRequest | null {
  const authorityEnd = url.slice(7).search(/[/?#]/);
  const authority = authorityEnd < 0 ? url.slice(7) : url.slice(7, 7 + authorityEnd);
  const origin = originOf(authority);
  if (!origin) return null;
  let path = authorityEnd < 0 ? "/" : url.slice(7 + authorityEnd);
  if (path.charCodeAt(0) === 63) path = `/${path}`; // "?…" alone
  if (!PATH.test(path) || DOT_SEGMENT.test(path)) return null;

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
  if (body !== undefined && (method === "GET" || method === "HEAD")) return null;

  let head = `${method} ${path} HTTP/1.1\r\n`;
  let userAgent = false;
  let accept = false;
  let acceptEncoding = false;
  let mixedCase = false;
  const add = (name: string, value: string): boolean => {
    if (!TOKEN.test(name) || !VALUE.test(value)) return false;
    const lower = name.toLowerCase();
    if (lower !== name) mixedCase = true;
    if (OWN_HEADERS.has(lower)) return false;
    if (lower === "user-agent") userAgent = true;
    else if (lower === "accept") accept = true;
    else if (lower === "accept-encoding") acceptEncoding = true;
    head += `${name}: ${value}\r\n`;
    return true;
  };
  if (headers instanceof Headers) {
    let ok = true;
    headers.forEach((value, name) => {
      ok &&= add(name, value);
    });
    if (!ok) return null;
  } else if (typeof headers === "object" && headers !== null) {
    if (Array.isArray(headers)) return null;
    const record = headers as Record<string, unknown>;
    for (const name in record) {
      const value = record[name];
      if (typeof value !== "string" || !add(name, value)) return null;
    }
    // Two spellings of one name are one header to `fetch` (values joined): rare, so left to it.
    if (mixedCase) {
      const names = Object.keys(record).map((name) => name.toLowerCase());
      if (new Set(names).size !== names.length) return null;
    }
  } else if (headers !== undefined) return null;

  head += "Connection: keep-alive\r\n";
  if (!userAgent) head += `User-Agent: Bun/${Bun.version}\r\n`;
  if (!accept) head += "Accept: */*\r\n";
  head += `Host: ${authority}\r\n`;
  if (!acceptEncoding) head += "Accept-Encoding: gzip, deflate, br, zstd\r\n";
  const bodyLength =
    body === undefined ? 0 : typeof body === "string" ? Buffer.byteLength(body) : body.byteLength;
  if (method !== "GET" && method !== "HEAD") head += `Content-Length: ${bodyLength}\r\n`;
  head += "\r\n";

  // Header bytes are Latin-1, as `fetch` sends them; a text body is UTF-8.
  const bytes = Buffer.allocUnsafe(head.length + bodyLength);
  bytes.write(head, 0, "latin1");
  if (typeof body === "string") bytes.write(body, head.length, "utf8");
  else if (body) bytes.set(body, head.length);
  return { origin, bytes, headOnly: method === "HEAD" };
}
