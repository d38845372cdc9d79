import type { StreamedAnswer, StreamFunction } from "../streamed-answer.ts";
import type { AnswerFunction, WholeAnswer } from "../whole-answer.ts";
import { ConnectionPool } from "./connection-pool.ts";
import { type EncodedRequest, encodeRequest } from "./encode-request.ts";
import { type Exchange, type Origin, responseInit } from "./exchange.ts";
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
  /** Read once: a proxy variable set for http sends every call to the fallback, which honours it. */
  env?: Record<string, string | undefined>;
  pool?: ConnectionPool;
}

/** One pool for the process, as `fetch` has one: every gateway and worker session shares it. */
const sharedPool = new ConnectionPool();

/**
 * A `fetch` for plain-http upstream calls on `Bun.connect` with its own keep-alive pool: the
 * subset of `fetch` upstream calls use (method, headers, a text or byte body, an abort signal),
 * answering with a real `Response` whose body streams with backpressure (or, through `stream`, a
 * successful event stream's body as a byte feed for the relay). It costs less CPU a request than
 * Bun's `fetch` and has no cap on requests at once. What it does not take — https
 * (whose certificate checks stay `fetch`'s), proxies from the environment, any other init field
 * or header `fetch` owns — goes to `fallback` unchanged, and so does a redirect answer (the
 * request sent again there, where `fetch` follows it), so callers see `fetch`'s behaviour.
 *
 * A kept-alive connection that the server closed before any byte of the answer (it closed it
 * while idle, as our request went out) gets the request again once on a fresh connection, as
 * Bun's `fetch` does; after any byte of the answer nothing is ever sent again.
 */
export function createLeanFetch(options: LeanFetchOptions): LeanFetch {
  const { fallback } = options;
  const env = options.env ?? process.env;
  const proxied = Boolean(env.http_proxy || env.HTTP_PROXY);
  const pool = options.pool ?? sharedPool;

  function call(input: string | URL | Request, init: RequestInit | undefined, takes: Takes) {
    const request =
      typeof input === "string" && !proxied && input.startsWith("http://")
        ? encodeRequest(input, init)
        : null;
    if (!request) return fallback(input, init);
    const signal = init?.signal ?? undefined;
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<Answer>((resolve, reject) => {
      new Call(request, signal, takes, pool, () => fallback(input, init), resolve, reject).start();
    });
  }
  const leanFetch = (input: string | URL | Request, init?: RequestInit) =>
    call(input, init, RESPONSE) as Promise<Response>;
  return Object.assign(leanFetch, {
    answer: (input: string | URL | Request, init?: RequestInit) =>
      call(input, init, WHOLE) as Promise<Response | WholeAnswer>,
    stream: (input: string | URL | Request, init?: RequestInit) =>
      call(input, init, FEED) as Promise<Response | StreamedAnswer>,
  });
}

const isRedirect = (status: number) =>
  status === 301 || status === 302 || status === 303 || status === 307 || status === 308;

/** One call: on a pooled connection, or a fresh one; sent again once if the pooled one was stale. */
class Call implements Exchange {
  readonly request: string | Uint8Array;
  readonly size: number;
  readonly headOnly: boolean;
  readonly takesWhole: boolean;
  readonly takesFeed: boolean;
  private readonly origin: Origin;
  private retried = false;

  constructor(
    encoded: EncodedRequest,
    readonly signal: AbortSignal | undefined,
    takes: Takes,
    private readonly pool: ConnectionPool,
    private readonly fallback: () => Promise<Response>,
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    this.request = encoded.request;
    this.size = encoded.size;
    this.headOnly = encoded.headOnly;
    this.origin = encoded.origin;
    this.takesWhole = takes === WHOLE;
    this.takesFeed = takes === FEED;
  }

  start(): void {
    const pooled = this.pool.take(this.origin);
    if (pooled) pooled.request(this);
    else this.fresh();
  }

  answer(response: Response): void {
    // `fetch` follows redirects: the request goes to it again, and it does.
    if (isRedirect(response.status) && response.headers.has("location")) {
      response.body?.cancel().catch(() => {});
      this.fallback().then(this.resolve, this.reject);
    } else this.resolve(response);
  }

  answerWhole(head: ResponseHead, body: Uint8Array<ArrayBuffer>): void {
    const { status } = head;
    // What is not a plain answer (a redirect `fetch` would follow, a status `Response` refuses)
    // takes the `Response` path, so that it behaves as there.
    if (isRedirect(status) || status > 599) {
      let response: Response;
      try {
        response = new Response(body.byteLength > 0 ? body : null, responseInit(head));
      } catch (error) {
        this.reject(error);
        return;
      }
      this.answer(response);
      return;
    }
    this.resolve({ status, contentType: head.contentType, retryAfter: head.retryAfter, body });
  }

  answerFeed(answer: StreamedAnswer): void {
    this.resolve(answer);
  }

  failed(error: unknown, stale: boolean): void {
    if (stale && !this.retried && !this.signal?.aborted) {
      this.retried = true;
      this.fresh();
    } else this.reject(error);
  }

  /** A new connection; an abort while it opens rejects at once, and the connection is closed when it opens. */
  private fresh(): void {
    const signal = this.signal;
    const onAbort = () => this.reject(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    this.pool.open(this.origin).then(
      (connection) => {
        signal?.removeEventListener("abort", onAbort);
        if (signal?.aborted) connection.destroy();
        else connection.request(this);
      },
      (error) => {
        signal?.removeEventListener("abort", onAbort);
        this.reject(error);
      },
    );
  }
}
