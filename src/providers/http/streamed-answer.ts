/** One read of a body: every chunk it held at once (Bun's `readMany` result), or its end. */
export type BodyRead = Bun.ReadableStreamDefaultReadManyResult<Uint8Array>;

/**
 * A body read the way the byte relay reads it (routing/byte-relay.ts): a `ReadableStream`'s
 * reader is one, and so is the lean client's feed, which is no stream object at all. A read
 * answers at once when the body already holds bytes (or its end), else with a promise.
 */
export interface ByteFeed {
  readMany(): BodyRead | Promise<BodyRead>;
  /** Stops reading: the connection under it is closed. */
  cancel(): Promise<void>;
}

/**
 * A successful event-stream answer whose body is handed over as a byte feed, without a
 * `Response`, its `Headers` and a `ReadableStream` (docs/BENCHMARKS-HISTORY.md, "Session 9: the
 * stream path at c=32"). The lean client hands one to a caller that asks (`LeanFetch.stream`)
 * for a 2xx `text/event-stream` body it does not decode; anything else is still a `Response`.
 */
export interface StreamedAnswer {
  readonly status: number;
  /** The declared body length, -1 when none was declared. */
  readonly length: number;
  readonly body: ByteFeed;
}

/** Like `fetch`, but a successful event stream may come as a `StreamedAnswer`. */
export type StreamFunction = (
  input: string | URL | Request,
  init?: RequestInit,
) => Promise<Response | StreamedAnswer>;
