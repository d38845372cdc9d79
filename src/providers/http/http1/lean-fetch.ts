import { ConnectionPool } from "./connection-pool.ts";
import { encodeRequest } from "./encode-request.ts";
import { type Http1Connection, type Origin, StaleConnectionError } from "./http1-connection.ts";

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export interface LeanFetchOptions {
  /** Every call this client does not take (https, proxies, anything unusual) goes here. */
  fallback: FetchFunction;
  /** Read once: a proxy variable set for http sends every call to the fallback, which honours it. */
  env?: Record<string, string | undefined>;
  pool?: ConnectionPool;
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** One pool for the process, as `fetch` has one: every gateway and worker session shares it. */
const sharedPool = new ConnectionPool();

/**
 * A `fetch` for plain-http upstream calls on `Bun.connect` with its own keep-alive pool: the
 * subset of `fetch` upstream calls use (method, headers, a text or byte body, an abort signal),
 * answering with a real `Response` whose body streams with backpressure. It costs less CPU a
 * request than Bun's `fetch` and has no cap on requests at once. What it does not take — https
 * (whose certificate checks stay `fetch`'s), proxies from the environment, any other init field
 * or header `fetch` owns — goes to `fallback` unchanged, and so does a redirect answer (the
 * request sent again there, where `fetch` follows it), so callers see `fetch`'s behaviour.
 *
 * A kept-alive connection that the server closed before any byte of the answer (it closed it
 * while idle, as our request went out) gets the request again once on a fresh connection, as
 * Bun's `fetch` does; after any byte of the answer nothing is ever sent again.
 */
export function createLeanFetch(options: LeanFetchOptions): FetchFunction {
  const { fallback } = options;
  const env = options.env ?? process.env;
  const proxied = Boolean(env.http_proxy || env.HTTP_PROXY);
  const pool = options.pool ?? sharedPool;

  async function send(
    origin: Origin,
    bytes: Uint8Array,
    headOnly: boolean,
    signal: AbortSignal | undefined,
  ): Promise<Response> {
    const pooled = pool.take(origin);
    if (pooled) {
      try {
        return await pooled.request(bytes, headOnly, signal);
      } catch (error) {
        if (!(error instanceof StaleConnectionError) || signal?.aborted) throw error;
      }
    }
    const fresh = await open(origin, signal);
    return await fresh.request(bytes, headOnly, signal);
  }

  /** A new connection; an abort while it opens rejects at once, and the connection is closed when it opens. */
  function open(origin: Origin, signal: AbortSignal | undefined): Promise<Http1Connection> {
    const opening = pool.open(origin);
    if (!signal) return opening;
    return new Promise((resolve, reject) => {
      const onAbort = () => reject(signal.reason);
      signal.addEventListener("abort", onAbort, { once: true });
      opening.then(
        (connection) => {
          signal.removeEventListener("abort", onAbort);
          if (signal.aborted) connection.destroy();
          else resolve(connection);
        },
        (error) => {
          signal.removeEventListener("abort", onAbort);
          reject(error);
        },
      );
    });
  }

  return async (input, init) => {
    const url = typeof input === "string" ? input : input instanceof URL ? input.href : "";
    const request = !proxied && url.startsWith("http://") ? encodeRequest(url, init) : null;
    if (!request) return fallback(input, init);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) throw signal.reason;
    const response = await send(request.origin, request.bytes, request.headOnly, signal);
    if (REDIRECTS.has(response.status) && response.headers.has("location")) {
      await response.body?.cancel();
      return fallback(input, init);
    }
    return response;
  };
}
