/**
 * An upstream answer whose body was whole when its head arrived: what a tunnelled answer's head
 * frame carries and the body's bytes, without a `Response` and its `Headers` (docs/BENCHMARKS-HISTORY.md,
 * "Session 8: the worker route"). The lean client hands one to a caller that asks (`LeanFetch.answer`,
 * on the worker), and so does a tunnel for a non-stream answer (`openWhole`, on the gateway).
 * Anything else is still a `Response`.
 */
export interface WholeAnswer {
  readonly status: number;
  readonly contentType: string | undefined;
  readonly retryAfter: string | undefined;
  /** Empty for a bodyless answer (HEAD, 204, 304). */
  readonly body: Uint8Array<ArrayBuffer>;
  /**
   * The lean client's thread read a 2xx body past the call's bound and kept none of it (`body`
   * is empty): refused as a body over the bound is (`wholeBody`).
   */
  readonly over?: true;
  /** A redirect's `Location`, never followed (upstream-redirect.ts): from the lean client's thread. */
  readonly location?: string;
}

/** Like `fetch`, but a body already whole when its head is in comes as a `WholeAnswer`. */
export type AnswerFunction = (
  input: string | URL | Request,
  init?: RequestInit,
  /** The most a 2xx body may be, for a client that reads it elsewhere (the lean client's thread). */
  maxBody?: number,
) => Promise<Response | WholeAnswer>;
