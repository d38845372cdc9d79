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

/**
 * Where plain-http calls go. `overflow` (the default): native `fetch` below half its limit, the
 * lean client past it. `auto`: also the lean client while the process serves only one request
 * (`LEAN_WHEN_ALONE`). `all`: the lean client always. `off`: `node:http` past the limit, as
 * before the lean client.
 */
export type LeanMode = "auto" | "overflow" | "all" | "off";

/**
 * At most this many requests in flight, and a plain-http call takes the lean client in `auto`
 * mode. Alone, the event loop has time to spare, and the lean client's exchange on the loop's
 * own socket skips the two hops through Bun's HTTP thread that `fetch` makes (c=1 latency). With
 * more, the loop is what bounds throughput, and `fetch` does its socket work off the loop
 * (docs/BENCHMARKS.md, "Lean upstream client").
 */
export const LEAN_WHEN_ALONE = 1;

/**
 * `MINDGW_UPSTREAM_CLIENT`: `auto` puts a plain-http call made alone on the lean client, `lean`
 * every one (`all`); unset, `fetch` (or anything else), native `fetch` below half its limit
 * (`overflow`). `auto` is not the default: in the quiet end-of-session-4 run it lowered c=1 CPU
 * by 12 % but cost 8–11 % more CPU a request at c=32 (docs/BENCHMARKS.md, "The upstream client
 * by concurrency"), and c=32 throughput is what the gateway is judged by.
 */
export function leanMode(env: Record<string, string | undefined> = process.env): LeanMode {
  const client = env.MINDGW_UPSTREAM_CLIENT;
  return client === "lean" ? "all" : client === "auto" ? "auto" : "overflow";
}

export interface UpstreamFetchOptions {
  /** Requests this process is serving right now (each makes at most one upstream call at a time). */
  inFlight: () => number;
  /** Native fetch slots; default from the environment, as Bun read it. */
  nativeLimit?: number;
  native?: typeof fetch;
  /** Past the native limit, for what the lean client does not take (https, proxies). */
  fallback?: typeof fetch;
  /** Default from the environment (`leanMode`). */
  lean?: LeanMode;
}

/**
 * The `fetch` that upstream calls go through. Native `fetch` is the fast path for the event loop
 * (its socket work runs on Bun's HTTP thread), but Bun caps it per process and queues the rest
 * without a word, so a gateway holding hundreds of long generations would stall request 257
 * behind the others. Below half the native limit (a shadow copy can double a request's upstream
 * calls, and a few slots stay free for JWKS or telemetry), calls use native `fetch`, except that
 * a plain-http call made while the process serves one request alone takes the lean client (in
 * `auto` mode: lower latency when the loop is idle anyway). Past it,
 * plain-http calls go through the lean client on `Bun.connect` (no cap, a fraction of the CPU of
 * `node:http`), and the rest (https, proxies) through `node:http`, which has no cap either. Every
 * call that started on native `fetch` was counted among the requests in flight when it started,
 * so native calls never exceed the limit.
 */
export function createUpstreamFetch(options: UpstreamFetchOptions): typeof fetch {
  const native = options.native ?? fetch;
  const fallback = options.fallback ?? nodeFetch;
  const threshold = Math.max(1, Math.floor((options.nativeLimit ?? nativeFetchLimit()) / 2) - 8);
  const mode = options.lean ?? leanMode();
  const overflow = mode === "off" ? fallback : createLeanFetch({ fallback });
  // Alone, a plain-http call takes the lean client; the rest (https, proxies) native `fetch`.
  const alone = mode === "auto" ? createLeanFetch({ fallback: native }) : native;
  const switched = (input: string | URL | Request, init?: RequestInit) => {
    const inFlight = options.inFlight();
    if (inFlight > threshold) return overflow(input, init);
    return inFlight <= LEAN_WHEN_ALONE ? alone(input, init) : native(input, init);
  };
  const upstreamFetch = mode === "all" ? createLeanFetch({ fallback: switched }) : switched;
  const made = Object.assign(upstreamFetch, { preconnect: native.preconnect }) as typeof fetch;
  if (options.native === undefined) upstreamFetches.add(made);
  return made;
}

/** The upstream fetches made on the real network `fetch` (not a test's or an embedder's). */
const upstreamFetches = new WeakSet<typeof fetch>();

/**
 * True for a fetch that only sends over the network: the global `fetch`, or an upstream fetch
 * made on it. The shadow thread sends a copy the same way (shadow/shadow-thread.ts), so a call
 * bound for such a fetch may go there instead; any other fetch is the embedder's or a test's.
 */
export function plainFetch(doFetch: typeof fetch): boolean {
  return doFetch === globalThis.fetch || upstreamFetches.has(doFetch);
}
