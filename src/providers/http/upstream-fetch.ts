import { createLeanFetch } from "./http1/lean-fetch.ts";
import { nodeFetch } from "./node-fetch.ts";

/** Bun's default for concurrent native `fetch` requests per process. */
const BUN_DEFAULT_FETCH_LIMIT = 256;

/**
 * How many native `fetch` requests Bun runs at once in this process: it reads
 * `BUN_CONFIG_MAX_HTTP_REQUESTS` once, at start (setting it later changes nothing), and
 * queues every request past the limit silently until one finishes.
 */
export function nativeFetchLimit(env: Record<string, string | undefined> = process.env): number {
  const raw = Number(env.BUN_CONFIG_MAX_HTTP_REQUESTS);
  return Number.isInteger(raw) && raw >= 1 && raw <= 65535 ? raw : BUN_DEFAULT_FETCH_LIMIT;
}

export interface UpstreamFetchOptions {
  /** Requests this process is serving right now (each makes at most one upstream call at a time). */
  inFlight: () => number;
  /** Native fetch slots; default from the environment, as Bun read it. */
  nativeLimit?: number;
  native?: typeof fetch;
  fallback?: typeof fetch;
  /** Plain-http calls through the lean HTTP/1.1 client (`http1/lean-fetch.ts`); default true. */
  lean?: boolean;
}

/**
 * The `fetch` that upstream calls go through. Native `fetch` is the fast path, but Bun caps it
 * per process and queues the rest without a word, so a gateway holding hundreds of long
 * generations would stall request 257 behind the others. Below half the native limit (a shadow
 * copy can double a request's upstream calls, and a few slots stay free for JWKS or telemetry),
 * calls use native `fetch`; past it they go through `node:http`, which has no such cap. Every
 * call that started on native `fetch` was counted among the requests in flight when it started,
 * so native calls never exceed the limit.
 *
 * In front of both, plain-http calls go through the lean client on `Bun.connect`, which costs
 * less CPU a request than either and has no cap; everything it does not take (https, proxies)
 * reaches the switch above unchanged.
 */
export function createUpstreamFetch(options: UpstreamFetchOptions): typeof fetch {
  const native = options.native ?? fetch;
  const fallback = options.fallback ?? nodeFetch;
  const threshold = Math.max(1, Math.floor((options.nativeLimit ?? nativeFetchLimit()) / 2) - 8);
  const switched = (input: string | URL | Request, init?: RequestInit) =>
    options.inFlight() <= threshold ? native(input, init) : fallback(input, init);
  const upstreamFetch = options.lean === false ? switched : createLeanFetch({ fallback: switched });
  return Object.assign(upstreamFetch, { preconnect: native.preconnect }) as typeof fetch;
}
