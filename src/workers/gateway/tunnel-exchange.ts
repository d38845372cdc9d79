import { type Abortable, type CancelHook, hookIn, unhook } from "../../core/cancel-hook.ts";
import { GatewayError } from "../../core/gateway-error.ts";
import type { BodyRead, ByteFeed, StreamedAnswer } from "../../providers/http/streamed-answer.ts";
import type { WholeAnswer } from "../../providers/http/whole-answer.ts";
import { namedWorker } from "../../providers/upstream-name.ts";
import { MAX_CHUNK_BYTES, type RetryRest, type TunnelErrorCode } from "../protocol.ts";
import { tunnelFailure, workerLost } from "./tunnel-failures.ts";
import { type ExchangeLink, SERVED_BY_HEADER, type TunnelStream } from "./tunnel-stream.ts";

export { type ExchangeLink, SERVED_BY_HEADER, type TunnelStream } from "./tunnel-stream.ts";

const NULL_BODY = new Set([204, 205, 304]);
/** What a feed read answers past the end (never written to). */
const END: BodyRead = Object.freeze({ done: true, size: 0, value: [] as Uint8Array[] }) as BodyRead;
const NOTHING_TO_DO: Promise<void> = Promise.resolve();
const cancelled = () => new GatewayError({ status: 499, code: "internal_error", message: "cancelled" });

/** What an exchange answers with: a `lean` one without a `Response` where the answer allows. */
export type ExchangeAnswer = Response | WholeAnswer | StreamedAnswer;

/**
 * One request's life on a tunnel. A streaming answer resolves at the head and becomes a
 * pull-based body: credit goes back to the worker only as the consumer reads, so a slow
 * client stalls the worker's upstream read instead of filling memory. A non-stream answer
 * is collected whole first, so a worker lost mid-body is still a retryable failure.
 *
 * A `lean` exchange builds no `Response` where the answer allows: a non-stream answer comes as
 * a `WholeAnswer` (its bytes), a successful event stream as a `StreamedAnswer` whose body is
 * the exchange itself, read as the byte relay reads the lean client's feed (`readMany`).
 */
export class TunnelExchange implements TunnelStream, ByteFeed, Abortable {
  readonly response: Promise<ExchangeAnswer>;
  /** Set by the tunnel from its request's `readsNotFound` (`TunnelStream`). */
  readsNotFound = false;
  /** The head came (`TunnelStream`). */
  headed = false;
  private readonly resolve: (response: ExchangeAnswer) => void;
  private readonly reject: (error: unknown) => void;
  /**
   * The reply's head as the worker sent it, in fields of the exchange (not an object of its own a
   * request); `status` 0 until the head came.
   */
  private status = 0;
  private contentType = "";
  private retryAfter: string | undefined;
  private retry: RetryRest | undefined;
  private servedBy: string | undefined;
  private finished = false;
  /**
   * Body pieces not yet handed on: a stream's, queued for its reader (the array itself handed to
   * its read); a non-stream answer's second and later, collected until its end. Made at the first
   * piece queued: a whole answer, one piece read at once, makes none.
   */
  private pieces: Uint8Array[] | undefined;
  /** A non-stream answer's first piece: its whole body when it came in one frame, as it mostly does. */
  private firstPiece: Uint8Array | undefined;
  private collectedBytes = 0;
  private ended = false;
  private failure: unknown;
  /**
   * Who waits for the next piece, which goes straight to it, not via `pieces`: a stream's pull
   * (its controller) or a feed's read.
   */
  private waiting: ReadableStreamDefaultController<Uint8Array> | PromiseWithResolvers<BodyRead> | undefined;
  /** Bytes handed on and not yet credited back (credit goes in quarter-window batches). */
  private consumed = 0;
  /**
   * Bytes received and not yet credited back: what the worker holds no credit for. A worker that
   * keeps to its window has at most the window and one chunk's overdraft so (docs/worker-protocol.md
   * "Flow control"); past that it ignores credit, and what it sends would queue here without bound.
   */
  private uncredited = 0;
  /** The stage of the caller's hook, not a listener on its signal. */
  private readonly hooked: boolean;
  /**
   * What the worker's model server had said, to any call, as this one was sent (`ServerSilence`):
   * heads are not counted, so a head with nothing after it until a bound cuts the call is as silent
   * as no head (a server that took the call and hangs), where any body byte or end moves it on.
   */
  private readonly heardAtSend: number;

  constructor(
    private readonly link: ExchangeLink,
    private readonly id: number,
    /** The worker as a failure names it. */
    private readonly workerName: string,
    private readonly stream: boolean,
    private readonly lean: boolean,
    /** The caller's: its abort ends the exchange (this object is the listener, no closure a call). */
    private readonly signal: AbortSignal,
    /** The same abort as the caller's hook: the exchange is its stage where it is free, and listens on none. */
    private readonly hook?: CancelHook,
  ) {
    // Not an executor arrow: that would be a closure and its scope an exchange.
    const { promise, resolve, reject } = Promise.withResolvers<ExchangeAnswer>();
    this.response = promise;
    this.resolve = resolve;
    this.reject = reject;
    this.hooked = hook !== undefined && hookIn(hook, this);
    if (!this.hooked) signal.addEventListener("abort", this, { once: true });
    this.heardAtSend = link.silence.heard;
  }

  /** The caller's signal aborted. */
  handleEvent(): void {
    this.abort(this.signal.reason);
  }

  onHead(
    status: number,
    contentType: string,
    retryAfter?: string,
    servedBy?: string,
    retry?: RetryRest,
  ): void {
    if (this.status !== 0 || this.finished) return;
    this.headed = true;
    this.status = status;
    this.contentType = contentType;
    this.retryAfter = retryAfter;
    this.servedBy = servedBy;
    this.retry = retry;
    if (!this.stream) return;
    // A peer link's `servedBy` is a header only a Response carries.
    const feed =
      this.lean && !servedBy && status >= 200 && status < 300 && contentType.includes("text/event-stream");
    this.resolve(feed ? { status, length: -1, body: this } : this.build(this.body()));
  }

  /** Body bytes from a binary chunk frame; `bytes` is a view into that frame, owned by us now. */
  onChunk(bytes: Uint8Array): void {
    // Before the head, its tunnel has closed the connection (worker-tunnel.ts `misplaced`).
    if (this.status === 0 || this.finished) return;
    this.uncredited += bytes.byteLength;
    if (this.uncredited > this.link.window + MAX_CHUNK_BYTES) {
      this.overran();
      return;
    }
    if (!this.stream) {
      if (this.firstPiece === undefined) this.firstPiece = bytes;
      else this.queue(bytes);
      this.collectedBytes += bytes.byteLength;
      if (this.collectedBytes > this.link.maxBodyBytes) {
        this.abort(
          new GatewayError({
            status: 502,
            code: "upstream_error",
            message: `${namedWorker(this.workerName)}: reply too large`,
          }),
        );
        return;
      }
      // Collected at once, so credited at once, in the stream's quarter-window batches: a
      // small answer costs no credit frame at all.
      this.grant(bytes.byteLength);
      return;
    }
    const waiting = this.waiting;
    if (!waiting) {
      this.queue(bytes);
      return;
    }
    this.waiting = undefined;
    if ("promise" in waiting) waiting.resolve({ done: false, size: bytes.byteLength, value: [bytes] });
    else waiting.enqueue(bytes);
    this.grant(bytes.byteLength);
  }

  onEnd(): void {
    if (this.status === 0 || this.finished) return;
    this.finish();
    this.ended = true;
    if (!this.stream) {
      const { pieces, firstPiece } = this;
      // The frame it came in is ours now (onChunk), so a lone piece is the body as it is.
      const body = (
        pieces ? Buffer.concat(pieces) : (firstPiece ?? Buffer.alloc(0))
      ) as Uint8Array<ArrayBuffer>;
      // A peer link's `servedBy` and a failure's other retry headers are headers only a Response carries.
      if (this.lean && !this.servedBy && !this.retry)
        this.resolve({
          status: this.status,
          contentType: this.contentType,
          retryAfter: this.retryAfter,
          body,
        });
      else this.resolve(this.build(body));
    }
    this.poke();
  }

  onError(code: TunnelErrorCode, message: string, retryAfter?: string): void {
    if (this.finished) return;
    this.finish();
    this.settle(tunnelFailure(this.workerName, code, message, retryAfter));
  }

  /** The worker connection is gone; `how`, when it was ended for a reason (`was disconnected: …`). */
  lost(how?: string): void {
    if (this.finished) return;
    this.finish();
    this.settle(workerLost(this.workerName, how));
  }

  /**
   * A feed's read: every piece queued, at once (credited as read), or the next piece, the end or
   * the failure when it comes. One read at a time, as the relay reads.
   */
  readMany(): BodyRead | Promise<BodyRead> {
    const value = this.pieces;
    if (value !== undefined && value.length > 0) {
      // The queue itself is the read's: the next piece starts a new one.
      this.pieces = undefined;
      let size = 0;
      for (const piece of value) size += piece.byteLength;
      this.grant(size);
      return { done: false, size, value };
    }
    if (this.failure !== undefined) return Promise.reject(this.failure);
    if (this.ended) return END;
    const read = Promise.withResolvers<BodyRead>();
    this.waiting = read;
    return read.promise;
  }

  /** The feed's reader stopped reading: the worker is told; a read still waiting ends quietly. */
  cancel(): Promise<void> {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.abort(cancelled());
    if (waiting && "promise" in waiting) waiting.resolve(END);
    return NOTHING_TO_DO;
  }

  /** The caller gave up (abort or stream cancel): tell the worker and stop. */
  abort(reason: unknown): void {
    if (this.finished) return;
    // Cut unanswered, or answered a head and nothing since (`heardAtSend`, which a body byte or an
    // end, of this call or another, leaves behind): whether the server said anything meanwhile is
    // the router's to read, should a bound have cut it before the first byte (try-route.ts
    // `attemptFailed`); the exchange judges nothing itself.
    if (this.hook !== undefined) this.link.silence.cut(this.hook, this.heardAtSend);
    this.link.sendCancel(this.id, this.hook);
    this.finish();
    this.settle(reason);
  }

  /**
   * The worker sent past its window and overdraft: the exchange fails, and the worker's connection
   * is closed as on any protocol error (its other streams with it), so that no worker key can make
   * the gateway hold more than a window a stream.
   */
  private overran(): void {
    const problem = `${namedWorker(this.workerName)} overran its flow-control window`;
    this.abort(new GatewayError({ status: 502, code: "upstream_error", message: problem }));
    this.link.protocolError(problem);
  }

  private finish(): void {
    this.finished = true;
    if (this.hooked) unhook(this.hook as CancelHook, this);
    else this.signal.removeEventListener("abort", this);
    this.link.done(this.id);
  }

  private settle(error: unknown): void {
    this.failure = error;
    this.reject(error);
    this.poke();
  }

  /** A waiting reader learns of the end or the failure (only no piece queued leaves one waiting). */
  private poke(): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    if (!waiting) return;
    const failure = this.failure;
    if ("promise" in waiting) {
      if (failure !== undefined) waiting.reject(failure);
      else waiting.resolve(END);
    } else if (failure !== undefined) waiting.error(failure);
    else waiting.close();
  }

  private build(body: Uint8Array<ArrayBuffer> | ReadableStream<Uint8Array>): Response {
    // Only ever built once the head came (onHead, onEnd).
    const { status, contentType, retryAfter, servedBy, retry } = this;
    const headers = new Headers();
    if (contentType) headers.set("content-type", contentType);
    if (retryAfter) headers.set("retry-after", retryAfter);
    if (retry) for (const [name, value] of Object.entries(retry)) if (value) headers.set(name, value);
    if (servedBy) headers.set(SERVED_BY_HEADER, servedBy);
    // A whole body's length, as a direct upstream declares it: the reader then takes it in one
    // call (readBounded) instead of chunk by chunk.
    const empty = NULL_BODY.has(status);
    if (body instanceof Uint8Array && !empty) headers.set("content-length", String(body.byteLength));
    return new Response(empty ? null : body, { status, headers });
  }

  /**
   * The stream's body: a pull takes the next queued piece, or leaves its controller for the next
   * piece, end or failure to go to at once (no promise or async loop a piece).
   */
  private body(): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        pull: (controller) => {
          const next = this.pieces?.shift();
          if (next) {
            controller.enqueue(next);
            this.grant(next.byteLength);
          } else if (this.failure !== undefined) controller.error(this.failure);
          else if (this.ended) controller.close();
          else this.waiting = controller;
        },
        cancel: () => this.abort(cancelled()),
      },
      { highWaterMark: 0 },
    );
  }

  /** Queues a piece, the queue made at its first (after a non-stream answer's first piece, with it). */
  private queue(bytes: Uint8Array): void {
    const pieces = this.pieces;
    if (pieces) pieces.push(bytes);
    else this.pieces = this.firstPiece ? [this.firstPiece, bytes] : [bytes];
  }

  private grant(bytes: number): void {
    if (this.finished) return;
    this.consumed += bytes;
    if (this.consumed * 4 < this.link.window) return;
    this.link.sendCredit(this.id, this.consumed);
    this.uncredited -= this.consumed;
    this.consumed = 0;
  }
}
