import type { GatewayError } from "./gateway-error.ts";
import type { SseEvent } from "./sse.ts";

/**
 * A streamed answer as the client will receive it: wire bytes, pulled one piece at a time so a
 * slow client slows the upstream read. A same-dialect stream hands over the upstream's own
 * reads; a translated one, its encoded events. `next` rejects with a GatewayError when the
 * stream fails; the source has then already released its upstream.
 */
export interface ChunkSource {
  /** The next bytes for the client, or undefined when the stream is complete. */
  next(): Promise<Uint8Array | undefined>;
  /**
   * The next bytes when they are already in hand (a stream's first read, held while the router
   * committed to it), taken without waiting; undefined when `next` must be awaited. Written
   * before the first await, they leave in the same write as the response head.
   */
  ready?(): Uint8Array | undefined;
  /**
   * True once the bytes last handed out (by `ready` or `next`) were the stream's last: the
   * response can close with them, without asking `next` for the end.
   */
  readonly drained?: boolean;
  /**
   * True once the source has read the stream's end marker (`[DONE]`, `message_stop`): the answer
   * is whole and its usage final. Whether the client had those bytes is the relay's to tell (its
   * `ending`, http/sse-response.ts): a wrapper may still hold them back (a stored answer's save,
   * a cluster node's record), and a client that leaves then did not have the whole answer.
   */
  readonly complete?: boolean;
  /**
   * The caller's events handed out so far: what a Responses stream's failure is numbered after
   * when its last read said no `sequence_number` (http/sse-response.ts).
   */
  readonly events?: number;
  /**
   * Data events read from the upstream so far, its end marker and chunks of usage alone (OpenAI's
   * `include_usage` chunk, `choices: []`) not counted: what a stream whose upstream reported no
   * usage is charged for, a token each, as every OpenAI-compatible server that omits it streams
   * about a token a chunk (http/stream-usage.ts). The upstream's, not the caller's:
   * the same upstream stream counts the same through every front door, whatever framing its
   * translation wrote. Counted where the relays read the upstream's events anyway.
   */
  readonly upstreamEvents?: number;
  /** Set once the stream itself reported a failure (an error event relayed as is). */
  readonly reported: GatewayError | undefined;
  /**
   * The event `reported` stands for, as the client got it (its words may be scrubbed, never its
   * type or code): what the request's record reads the status it told from (an overload's 529 to a
   * Messages caller: http/stream-failure-status.ts). Kept beside `reported`, which stays the
   * attempt's failure as the routing judges it.
   */
  readonly reportedEvent?: SseEvent | undefined;
  /**
   * The upstream's own failure, read off the bare error event it reported it with, when no
   * terminal event followed (a relayed Responses stream's `response.failed`, which Codex reads
   * alone): the response adds that event, failed with the same words (http/sse-response.ts).
   */
  readonly failureUnended?: GatewayError | undefined;
  /** The client went away: stop upstream work. Safe to call more than once. */
  cancel(): void;
  /**
   * `listener` is told each time the client has had nothing for `routing.stream_keepalive` while
   * the stream waits on its upstream (the attempt's idle timer keeps that time: routing/attempt.ts),
   * so that it can write a keep-alive comment. A source with no upstream to wait on ignores it.
   */
  keepAlive?(listener: QuietListener): void;
}

/** Hears that a stream's client has had nothing for the keep-alive interval (`ChunkSource.keepAlive`). */
export interface QuietListener {
  quiet(): void;
}
