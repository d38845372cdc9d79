import { type Abortable, type CancelHook, hookIn, unhook } from "../../../core/cancel-hook.ts";
import { isRedirectStatus } from "../../../core/redirect-words.ts";
import { type LeanInit, signalled } from "../call-cancel.ts";
import type { StreamedAnswer, StreamFunction } from "../streamed-answer.ts";
import type { AnswerFunction, WholeAnswer } from "../whole-answer.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { encodeRequest } from "./encode-request.ts";
import { type Exchange, type Origin, responseInit } from "./exchange.ts";
import type { Http1Connection } from "./http1-connection.ts";
import { RequestBytes } from "./request-bytes.ts";
import type { ResponseHead } from "./response-head.ts";

export type FetchFunction = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

/**
 * The lean client: a `fetch`; `answer`, which hands a body whole with its head as bytes; and
 * `stream`, which hands a successful event stream's body over as a byte feed.
 */
export type LeanFetch = FetchFunction & { readonly answer: AnswerFunction; readonly stream: StreamFunction };

/** What a call hands back besides a `Response`. */
const RESPONSE = 0;
const WHOLE = 1;
const FEED = 2;
type Takes = typeof RESPONSE | typeof WHOLE | typeof FEED;
type Answer = Response | WholeAnswer | StreamedAnswer;

export interface LeanFetchOptions {
  /** Every call this client does not take (https, proxies, anything unusual) goes here. */
  fallback: FetchFunction;
  /**
   * False: a redirect answer is handed back as it came, as `fetch` with `redirect: "manual"` hands
   * it (an upstream call follows none: upstream-redirect.ts). Default: a 3xx with a `Location`
   * goes to `fallback` again, which follows it as its init says (and answers one `fetch` follows
   * not, a 300 or a 304, as it came).
   */
  followRedirects?: boolean;
  /** Read once: a proxy variable set for http sends every call to the fallback, which honours it. */
  env?: Record<string, string | undefined>;
  pool?: ConnectionPool;
  /**
   * Where its requests are encoded: by default the process's buffer, kept at 16 KB (a larger
   * request grows one for itself alone). A client whose requests are all large (the trace
   * export's ~200 KB batches) passes one kept at their size, so that none allocates a buffer.
   */
  bytes?: RequestBytes;
}

/** One pool for the process, as `fetch` has one: every gateway and worker session shares it. */
const sharedPool = new ConnectionPool();
/** Where every call's request is encoded (unless its client has its own), and sent from in the same turn. */
const requestBytes = new RequestBytes();

/**
 * A `fetch` for plain-http upstream calls on `Bun.connect` with its own keep-alive pool: the
 * subset of `fetch` upstream calls use (method, headers, a text or byte body, an abort signal),
 * answering with a real `Response` whose body streams with backpressure (or, through `stream`, a
 * successful event stream's body as a byte feed for the relay). It costs less CPU a request than
 * Bun's `fetch` and has no cap on requests at once. What it does not take — https
 * (whose certificate checks stay `fetch`'s), proxies from the environment, any other init field
 * or header `fetch` owns — goes to `fallback` unchanged, and so does a redirect answer (the
 * request sent again there, where `fetch` follows it), so callers see `fetch`'s behaviour; a
 * client made not to follow them (`followRedirects: false`) answers with the redirect instead.
 *
 * A kept-alive connection that the server closed before any byte of the answer (it closed it
 * while idle, as our request went out) gets the request again once on a fresh connection, as
 * Bun's `fetch` does; after any byte of the answer nothing is ever sent again.
 */
export function createLeanFetch(options: LeanFetchOptions): LeanFetch {
  const { fallback } = options;
  const follows = options.followRedirects !== false;
  const env = options.env ?? process.env;
  const proxied = Boolean(env.http_proxy || env.HTTP_PROXY);
  const pool = options.pool ?? sharedPool;
  const bytes = options.bytes ?? requestBytes;

  function call(input: string | URL | Request, init: LeanInit | undefined, takes: Takes) {
    const origin =
      typeof input === "string" && !proxied && input.startsWith("http://")
        ? encodeRequest(input, init, bytes)
        : null;
    if (!origin) return fallback(input, signalled(init));
    const hook = init?.cancel;
    // A hook stands for the call's signal (its `signal` is the init's): read it only without one,
    // so an attempt whose call hooks in never makes its signal (routing/attempt.ts).
    const signal = hook === undefined ? (init?.signal ?? undefined) : undefined;
    if (hook?.cancelled) return Promise.reject(hook.reason);
    if (signal?.aborted) return Promise.reject(signal.reason);
    // No closure a call: the call itself holds what its settlement needs.
    const { promise, resolve, reject } = Promise.withResolvers<Answer>();
    new Call(
      input as string,
      init,
      origin,
      takes,
      pool,
      bytes,
      fallback,
      follows,
      resolve,
      reject,
      hook,
      signal,
    ).start();
    return promise;
  }
  const leanFetch = (input: string | URL | Request, init?: LeanInit) =>
    call(input, init, RESPONSE) as Promise<Response>;
  return Object.assign(leanFetch, {
    answer: (input: string | URL | Request, init?: LeanInit) =>
      call(input, init, WHOLE) as Promise<Response | WholeAnswer>,
    stream: (input: string | URL | Request, init?: LeanInit) =>
      call(input, init, FEED) as Promise<Response | StreamedAnswer>,
  });
}

/**
 * One call: on a pooled connection, or a fresh one; sent again once if the pooled one was stale.
 * Its request is encoded by the call into its client's `bytes` and sent from there in the same turn when
 * a pooled connection takes it; a connection that opens later has it encoded again from the same
 * URL and init (the buffer has carried other calls since), as a stale one's retry has.
 *
 * It is cancelled through the caller's hook (`init.cancel`: the call sets itself as the hook's
 * stage, where no other call holds it) or its signal (the call is the listener, added once; the
 * hook's where it has no other): from its start until it is
 * rejected, or answered and its connection is done with it (a body streamed to its end).
 */
class Call implements Exchange, Abortable {
  readonly headOnly: boolean;
  readonly takesWhole: boolean;
  readonly takesFeed: boolean;
  private retried = false;
  private cancelled = false;
  /** The connection carrying it, from its request until the connection is done with it. */
  private connection: Http1Connection | null = null;
  /** Resolved, or handed to the fallback: over once its connection is done with it. */
  private answered = false;
  /** Hooked into `hook` or listening on `listened`. */
  private attached = false;
  private hooked = false;
  private listened: AbortSignal | undefined;

  constructor(
    private readonly url: string,
    /** Let go once answered: its body (megabytes, an image's) is never sent again then. */
    private init: LeanInit | undefined,
    private readonly origin: Origin,
    takes: Takes,
    private readonly pool: ConnectionPool,
    private readonly bytes: RequestBytes,
    private readonly fallback: FetchFunction,
    /** A redirect goes to `fallback` (else it is answered as it came: `followRedirects`). */
    private readonly follows: boolean,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: unknown) => void,
    private readonly hook: CancelHook | undefined,
    private readonly signal: AbortSignal | undefined,
  ) {
    this.headOnly = init?.method === "HEAD";
    this.takesWhole = takes === WHOLE;
    this.takesFeed = takes === FEED;
  }

  start(): void {
    const hook = this.hook;
    // Out only once its last byte is written (`written`): a connection that never opens, or an
    // upstream that stops reading, leaves it unsent.
    hook?.requestUnsent?.(true);
    if (hook && hookIn(hook, this)) this.hooked = this.attached = true;
    else {
      this.listened = this.signal ?? hook?.signal;
      this.listened?.addEventListener("abort", this);
      this.attached = this.listened !== undefined;
    }
    const pooled = this.pool.take(this.origin);
    // Encoded by the call, this turn.
    if (pooled) this.sendOn(pooled, true);
    else this.fresh();
  }

  /** The signal's abort (the call is its listener object: no closure a call). */
  handleEvent(): void {
    this.abort(this.listened?.reason);
  }

  abort(reason: unknown): void {
    if (this.cancelled || !this.attached) return;
    this.cancelled = true;
    const connection = this.connection;
    // The exchange fails (its promise rejects, or its body errors) and the connection closes.
    if (connection) connection.cancel(this, reason);
    else if (!this.answered) {
      // Opening: rejected now, the connection closed when it opens.
      this.detach();
      this.reject(reason);
    }
  }

  released(): void {
    this.connection = null;
    if (this.answered) this.detach();
  }

  written(): void {
    this.hook?.requestUnsent?.(false);
  }

  answer(response: Response): void {
    // `fetch` follows redirects: the request goes to it again, and it does (unless this client
    // follows none, nor asks `fetch` to: the redirect is the answer then).
    if (this.follows && isRedirectStatus(response.status) && response.headers.has("location")) {
      response.body?.cancel().catch(() => {});
      this.viaFallback();
    } else this.settle(response);
  }

  answerWhole(head: ResponseHead, body: Uint8Array<ArrayBuffer>): void {
    const { status } = head;
    // What is not a plain answer takes the `Response` path, so that it behaves as there: a redirect
    // (any 3xx, upstream-redirect.ts: its `Location` read there, or the request sent on to
    // `fetch`), a status `Response` refuses (over 599), and a failure, whose headers are all read
    // there (its `retry-after-ms` and `x-should-retry` reach the caller beside its Retry-After:
    // upstream-failure.ts). A 2xx, the common answer, makes no `Response` (one comparison each).
    if (isRedirectStatus(status) || status >= 400) {
      let response: Response;
      try {
        response = new Response(body.byteLength > 0 ? body : null, responseInit(head));
      } catch (error) {
        this.failed(error, false);
        return;
      }
      this.answer(response);
      return;
    }
    this.settle({ status, contentType: head.contentType, retryAfter: head.retryAfter, body });
  }

  answerFeed(answer: StreamedAnswer): void {
    this.settle(answer);
  }

  failed(error: unknown, stale: boolean): void {
    this.connection = null;
    if (stale && !this.retried && !this.cancelled) {
      this.retried = true;
      // The kept-alive connection closed unread: the request goes again on a fresh one.
      this.hook?.requestUnsent?.(true);
      this.fresh();
    } else {
      this.detach();
      this.reject(error);
    }
  }

  private settle(answer: Answer): void {
    this.answered = true;
    // The request goes nowhere again (only a stale connection's, before any answer, is sent again);
    // a stream's call lives as long as the stream, and need not keep the request body that long.
    this.init = undefined;
    if (this.connection === null) this.detach();
    this.resolve(answer);
  }

  private detach(): void {
    if (!this.attached) return;
    this.attached = false;
    if (this.hooked) unhook(this.hook as CancelHook, this);
    else this.listened?.removeEventListener("abort", this);
  }

  /** Handed to `fetch`, which takes the caller's signal (or the hook's, made now) from here on. */
  private viaFallback(): void {
    this.answered = true;
    this.detach();
    // `fetch` cannot say when the request is out: it counts as out once handed over (`start` marked
    // it unsent, and an init that no longer encodes gets here before any byte was written).
    this.hook?.requestUnsent?.(false);
    this.fallback(this.url, signalled(this.init)).then(this.resolve, this.reject);
  }

  /** A new connection; a cancel while it opens rejects at once, and the connection is closed when it opens. */
  private fresh(): void {
    this.pool.open(this.origin).then(
      (connection) => {
        if (this.cancelled) connection.destroy();
        else this.sendOn(connection, false);
      },
      (error) => this.failed(error, false),
    );
  }

  /**
   * The request sent on a connection: as the call encoded it this turn (`encoded`), or encoded
   * again on a connection opened for it.
   */
  private sendOn(connection: Http1Connection, encoded: boolean): void {
    if (!encoded && encodeRequest(this.url, this.init, this.bytes) === null) {
      // Only an init changed since the call (it encoded then) gets here: `fetch` has the say.
      connection.destroy();
      this.viaFallback();
      return;
    }
    this.connection = connection;
    const bytes = this.bytes;
    connection.request(this, bytes.bytes, bytes.size, bytes.alone);
    // A buffer grown for this request is the connection's now (what the socket has yet to take):
    // not held here until the next request, a large body's size for nothing.
    if (bytes.alone) bytes.reset();
  }
}
