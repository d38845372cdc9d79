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
}

/** Like `fetch`, but a body already whole when its head is in comes as a `WholeAnswer`. */
export type AnswerFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response | WholeAnswer>;
