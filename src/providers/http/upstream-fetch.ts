import { availableParallelism } from "node:os";
import { signalOnly } from "./call-cancel.ts";
import { createLeanFetch, type FetchFunction, type LeanFetch } from "./http1/lean-fetch.ts";
import { manualRedirect } from "./manual-redirect.ts";
import { DEFAULT_MAX_UPSTREAM_BODY } from "./read-bounded.ts";
import type { StreamFunction } from "./streamed-answer.ts";
import { createLeanThread, type LeanThread, threadable } from "./thread/lean-thread-client.ts";
import type { AnswerFunction } from "./whole-answer.ts";

/**
 * `node:http`'s fetch (node-fetch.ts), imported on its first call: its module makes keep-alive
 * agents as it loads, which read Bun's own `node:http`, `node:https` and `node:stream` into every
 * start, where the calls that take it are few (https past half of native `fetch`'s limit, `off`)
 * and a gateway on the embedded defaults makes none (docs/BENCHMARKS-HISTORY.md, session 46).
 */
let loadedNodeFetch: FetchFunction | undefined;
const nodeFetchOnDemand: FetchFunction = (input, init) =>
  loadedNodeFetch
    ? loadedNodeFetch(input, init)
    : import("./node-fetch.ts").then(({ nodeFetch }) => {
        loadedNodeFetch = nodeFetch;
        return nodeFetch(input, init);
      });

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
 * Where plain-http calls go. `all` (the default): the lean client always. `overflow`: native
 * `fetch` below half its limit, the lean client past it. `auto`: also the lean client while the
 * process serves only one request (`LEAN_WHEN_ALONE`, `ALONE_STREAK`), and for every stream call
 * at any load (see `leanMode`). `off`: `node:http` past the limit, as before the lean client.
 */
export type LeanMode = "auto" | "overflow" | "all" | "off" | "thread";

/**
 * At most this many requests in flight, and a plain-http call takes the lean client in `auto`
 * mode. Alone, the event loop has time to spare, and the lean client's exchange on the loop's
 * own socket skips the two hops through Bun's HTTP thread that `fetch` makes (c=1 latency). With
 * more, the loop is what bounds throughput, and `fetch` does its socket work off the loop
 * (docs/BENCHMARKS-HISTORY.md, "Lean upstream client").
 */
export const LEAN_WHEN_ALONE = 1;

/**
 * In `auto` mode, calls take the lean client only from the this-many-th call in a row made
 * alone. Under load (wrk -c32) the requests in flight dip to one now and then: 1–6 % of calls
 * were made "alone" there, each putting its socket work on a busy loop and keeping a second
 * pool of upstream connections beside `fetch`'s; a run of calls made alone is a client that
 * really sends one request at a time.
 */
export const ALONE_STREAK = 4;

/**
 * `MINDGW_UPSTREAM_CLIENT`: `lean`: every plain-http call on the lean client (`all`); unset (or
 * anything else): the same on a host of at most `FEW_CORES` cores, else `auto`; `auto`: a
 * plain-http call made alone (in a run of `ALONE_STREAK`) and every plain-http stream call on the
 * lean client, other calls on native `fetch` below half its limit (the default everywhere until
 * session 12); `streams`, the name `auto`'s stream rule had while it was an
 * option (session 9), the same as `auto`; `fetch`, native `fetch` below half its limit for every
 * call, alone and streamed (`overflow`); `thread`, as `auto`, but a plain-http non-stream call
 * with others in flight on the lean client's thread (`createLeanThread`) rather than native
 * `fetch`. The lean client became the default on few cores once a call no longer cost it an
 * `abort` listener (the caller's cancel hook, core/cancel-hook.ts): at c=32 on two shared cores the
 * gateway with every call on it served 1.18 × the non-stream requests a second of `auto`'s on the
 * burst upstream (72 against 95 µs of CPU a request) and 1.065 (1.005–1.127) × on the faithful
 * fake (session 12's quiet end run, docs/BENCHMARKS.md), though its event loop spent more (see
 * `FEW_CORES`).
 */
export function leanMode(
  env: Record<string, string | undefined> = process.env,
  cores: number = availableParallelism(),
): LeanMode {
  const client = env.MINDGW_UPSTREAM_CLIENT;
  if (client === "lean") return "all";
  if (client === "auto" || client === "streams") return "auto";
  if (client === "thread") return "thread";
  if (client === "fetch") return "overflow";
  return cores <= FEW_CORES ? "all" : "auto";
}

/**
 * At most this many cores, and the default puts every plain-http call on the lean client. On so
 * few, the gateway shares them with everything else the host runs and its whole CPU a request is
 * what bounds it: the lean client's is lower (0.83 of `fetch`'s at c=32 in session 12's quiet end
 * run). With cores to spare the event loop is the bound, and there `fetch`, whose socket work runs
 * on Bun's HTTP thread, costs the loop less (the lean client's loop 68 against 61 µs a request in
 * the same run), so non-stream calls under load stay on it (`auto`).
 */
export const FEW_CORES = 2;

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
  /** In `thread` mode, the lean client's thread (a test's); default, one started with the first call there. */
  thread?: LeanThread;
}

/**
 * The `fetch` that upstream calls go through. In `all` (the default on few cores) every plain-http
 * call takes the lean client on `Bun.connect` (no cap, no hops through Bun's HTTP thread), and the
 * rest (https, proxies) what follows. In the other modes native `fetch` does more: Bun caps it per process and
 * queues the rest without a word, so a gateway holding hundreds of long generations would stall
 * request 257 behind the others. Below half the native limit (a shadow copy can double a request's upstream
 * calls, and a few slots stay free for JWKS or telemetry), calls use native `fetch`, except that
 * a plain-http call made while the process serves one request alone takes the lean client (in
 * `auto` mode: lower latency when the loop is idle anyway). Past it,
 * plain-http calls go through the lean client on `Bun.connect` (no cap, a fraction of the CPU of
 * `node:http`), and the rest (https, proxies) through `node:http`, which has no cap either. Every
 * call that started on native `fetch` was counted among the requests in flight when it started,
 * so native calls never exceed the limit.
 */
export function createUpstreamFetch(options: UpstreamFetchOptions): typeof fetch {
  const nativeFetch = options.native ?? fetch;
  // A call with a cancel hook (the worker's: call-cancel.ts) reaches the clients that know only
  // signals with the hook's signal; the lean client takes the hook itself. No client follows a
  // redirect (upstream-redirect.ts): native `fetch` is told so, `node:http` never follows one, and
  // the lean client answers with it (it is met only there: a normal answer costs nothing more).
  const native = signalOnly(manualRedirect(nativeFetch));
  const fallback = signalOnly(options.fallback ?? nodeFetchOnDemand);
  const threshold = Math.max(1, Math.floor((options.nativeLimit ?? nativeFetchLimit()) / 2) - 8);
  const mode = options.lean ?? leanMode();
  const overflow = mode === "off" ? fallback : createLeanFetch({ fallback, followRedirects: false });
  // Alone, a plain-http call takes the lean client; the rest (https, proxies) native `fetch`.
  // (`thread` is `auto` but for a non-stream call under load.)
  const auto = mode === "auto" || mode === "thread";
  const alone = auto ? createLeanFetch({ fallback: native, followRedirects: false }) : native;
  // The gateway's own (a thread started from the shadow thread or a worker session would be a
  // third heap for their few calls), started with its first call.
  const thread = mode === "thread" && Bun.isMainThread ? (options.thread ?? createLeanThread()) : null;
  // With others in flight: native `fetch`, but a stream on the lean client in `auto` mode.
  const crowdedStream = auto ? alone : native;
  let aloneInARow = 0;
  /** Whether the last call picked for was made with others in flight. */
  let crowded = false;
  /** The client a call takes (a stream's, when `stream`). */
  const pick = (stream: boolean): FetchFunction => {
    const inFlight = options.inFlight();
    crowded = inFlight > LEAN_WHEN_ALONE;
    if (inFlight > threshold) return overflow;
    if (crowded) {
      aloneInARow = 0;
      return stream ? crowdedStream : native;
    }
    return ++aloneInARow >= ALONE_STREAK ? alone : stream ? crowdedStream : native;
  };
  const switched = (input: string | URL | Request, init?: RequestInit) => pick(false)(input, init);
  const streamed: StreamFunction = (input, init) => streamFetch(pick(true))(input, init);
  const whole: AnswerFunction = (input, init, maxBody) => {
    const client = pick(false);
    // Under load a plain-http call goes to the thread (alone, the two hops would cost latency).
    if (thread && crowded && thread.usable() && threadable(input, init))
      return thread.answer(input as string, init, maxBody ?? DEFAULT_MAX_UPSTREAM_BODY);
    return answerFetch(client)(input, init);
  };
  const made =
    mode === "all"
      ? Object.assign(createLeanFetch({ fallback: switched, followRedirects: false }), {
          preconnect: nativeFetch.preconnect,
        })
      : Object.assign(switched, { preconnect: nativeFetch.preconnect, stream: streamed, answer: whole });
  if (options.native === undefined) upstreamFetches.add(made);
  if (thread) threads.set(made, thread);
  return made as typeof fetch;
}

/** The lean client's thread of each upstream fetch that has one. */
const threads = new WeakMap<object, LeanThread>();

/** Ends an upstream fetch's thread, if it has one (the gateway's stop): its calls still in it are rejected. */
export function closeUpstreamFetch(made: typeof fetch): void {
  threads.get(made)?.close();
}

/**
 * The calls of an upstream fetch with a whole body handed over as bytes (a `WholeAnswer`, no
 * `Response`): the upstream fetch's `answer` where it has one (a body whole with its head on the
 * lean client then comes as bytes), else the fetch.
 */
export const answerFetch = (made: FetchFunction): AnswerFunction =>
  (made as Partial<Pick<LeanFetch, "answer">>).answer ?? made;

/**
 * The calls of an upstream fetch for a stream whose body the byte relay reads: the upstream
 * fetch's `stream` where it has one (a successful event stream on the lean client then comes as
 * a byte feed, no `Response`), else the fetch.
 */
export const streamFetch = (made: FetchFunction): StreamFunction =>
  (made as Partial<Pick<LeanFetch, "stream">>).stream ?? made;

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
