import { Agent as HttpAgent, request as httpRequest, type IncomingMessage } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import { Readable } from "node:stream";

// Keep-alive pools with no socket cap: the gateway decides how many requests run at once.
const agents = {
  http: new HttpAgent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY }),
  https: new HttpsAgent({ keepAlive: true, maxSockets: Number.POSITIVE_INFINITY }),
};

const NO_BODY = new Set([204, 205, 304]);

function headerRecord(headers: HeadersInit | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  new Headers(headers).forEach((value, name) => {
    out[name] = value;
  });
  return out;
}

function responseOf(res: IncomingMessage): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) headers.append(name, v);
  }
  const status = res.statusCode ?? 502;
  if (NO_BODY.has(status)) {
    res.resume();
    return new Response(null, { status, headers });
  }
  const body = Readable.toWeb(res) as unknown as ReadableStream<Uint8Array>;
  return new Response(body, { status, statusText: res.statusMessage ?? "", headers });
}

/**
 * A `fetch` for upstream calls over `node:http`, whose client Bun does not count against the
 * process-wide cap of its native `fetch` (256 requests at once unless
 * `BUN_CONFIG_MAX_HTTP_REQUESTS` is set before start). Only what upstream calls use: a method,
 * string headers, a string body and an abort signal.
 */
export function nodeFetch(input: string | URL | Request, init: RequestInit = {}): Promise<Response> {
  const url = new URL(typeof input === "string" || input instanceof URL ? input : input.url);
  const secure = url.protocol === "https:";
  const signal = init.signal ?? undefined;
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const send = secure ? httpsRequest : httpRequest;
    const req = send(url, {
      method: init.method ?? "GET",
      headers: headerRecord(init.headers),
      agent: secure ? agents.https : agents.http,
    });
    const onAbort = () => {
      req.destroy(signal?.reason instanceof Error ? signal.reason : new Error("aborted"));
      reject(signal?.reason);
    };
    signal?.addEventListener("abort", onAbort, { once: true });
    req.once("response", (res) => {
      // After the head, an abort tears the body down; the reader sees the stream error.
      res.once("close", () => signal?.removeEventListener("abort", onAbort));
      resolve(responseOf(res));
    });
    req.once("error", (error) => {
      signal?.removeEventListener("abort", onAbort);
      reject(error);
    });
    const body = init.body;
    if (typeof body === "string" || body instanceof Uint8Array) req.end(body);
    else req.end();
  });
}
