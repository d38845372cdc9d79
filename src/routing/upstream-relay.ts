import type { ChunkSource, QuietListener } from "../core/chunk-source.ts";
import { clientClosed, type GatewayError, upstreamError } from "../core/gateway-error.ts";
import type { BodyRead, ByteFeed } from "../providers/http/streamed-answer.ts";
import { namedFailure, upstreamName } from "../providers/upstream-name.ts";
import type { Attempt } from "./attempt.ts";
import type { ReadStep } from "./stepped-reads.ts";

/** Bytes for the client, or undefined at the stream's end. */
export type RelayOut = Uint8Array | undefined;

/** Called as a method of the object (the router's attempt is one: routing/route-attempt.ts). */
export interface RelayEnd {
  /** Called once, however the relay ends: with the failure when it failed. */
  done(error?: GatewayError): void;
}

/** A relay that has its first event, as the answer the router commits to. */
export interface RelayedStream {
  readonly kind: "stream";
  readonly chunks: ChunkSource;
}

/**
 * What the two relays of an upstream's event stream share — the same dialect's bytes
 * (routing/byte-relay.ts) and a translation (routing/translated-relay.ts), each one write per
 * upstream read: the first bytes read before the router commits (`ready`), reads taken without a
 * promise while the body already holds them, a failure held back until the bytes before it went
 * out, the body's end read after the end marker, and the one close. A subclass says what a run of
 * reads makes for the client (`goOn`).
 */
export abstract class UpstreamRelay
  implements ChunkSource, RelayedStream, ReadStep<BodyRead, RelayOut | Promise<RelayOut>>
{
  readonly kind = "stream";
  readonly chunks: ChunkSource = this;
  drained = false;
  abstract readonly reported: GatewayError | undefined;
  protected closed = false;
  /** A failure found while bytes before it were still to be handed out: thrown on the next read. */
  private failAfter: GatewayError | undefined;
  private primed: RelayOut;
  /** The upstream's next read, already asked for (see `endAfter`): in hand, or to come. */
  protected upcoming: BodyRead | Promise<BodyRead> | undefined;

  constructor(
    protected readonly feed: ByteFeed,
    protected readonly attempt: Attempt,
    /** Names the upstream in error messages. */
    protected readonly provider: string,
    private readonly end: RelayEnd,
  ) {}

  /**
   * Reads until the first bytes for the client are in: until then a failure is the router's to
   * retry or fail over; then the idle bound applies. When the body already held them, the relay
   * itself is returned (no promise, and no turn for the router's await), and a failure found in
   * them is thrown; else a promise of the relay, under the first-byte bound from now. The bound is
   * armed only then: a stream whose first bytes came with its head (the usual burst, and every
   * stream answered whole) goes from the connect bound straight to the idle bound or its end, with
   * no deadline-list entry added and taken out again and no clock read for it.
   */
  start(): this | Promise<this> {
    const first = this.read();
    if (!(first instanceof Promise)) return this.primedWith(first);
    const attempt = this.attempt;
    attempt.arm("first byte", attempt.timeouts.firstByteMs);
    return first.then((bytes) => this.primedWith(bytes));
  }

  private primedWith(first: RelayOut): this {
    this.primed = first;
    if (!this.closed) {
      // The first bytes wait for the commit, not for the upstream: the idle bound starts now.
      this.attempt.waiting(false);
      this.attempt.arm("idle", this.attempt.timeouts.idleMs);
    }
    return this;
  }

  next(): Promise<RelayOut> {
    const primed = this.ready();
    if (primed) return Promise.resolve(primed);
    try {
      const out = this.read();
      return out instanceof Promise ? out : Promise.resolve(out);
    } catch (error) {
      return Promise.reject(error);
    }
  }

  ready(): Uint8Array | undefined {
    const primed = this.primed;
    this.primed = undefined;
    return primed;
  }

  /**
   * The client left: after an error event of the stream's own (the SDKs hang up on one), the
   * attempt failed with it, as the request's record did (http/sse-response.ts `cancel`).
   */
  cancel(): void {
    this.close(this.reported);
  }

  keepAlive(listener: QuietListener): void {
    this.attempt.keepAlive(listener);
  }

  /** A read waited for is in (the relay is the read's step): the relay goes on with it in hand. */
  arrived(read: BodyRead): RelayOut | Promise<RelayOut> {
    return this.goOn(read);
  }

  /** A read failed (or the attempt ended): the relay closes, with what the failure means. */
  failed(error: unknown): GatewayError {
    const failure = this.midStreamFailure(error);
    this.close(failure);
    return failure;
  }

  /** A read of the upstream's body that failed (or the attempt's end while it waited), as the relay fails. */
  protected midStreamFailure(error: unknown): GatewayError {
    return this.attempt.failure(
      error,
      upstreamError(`${upstreamName(this.provider)} closed the connection mid-stream`),
    );
  }

  /**
   * Takes reads (`read` first, when one is in hand) until there are bytes for the client or the
   * stream's end; a read still to come is waited for under the attempt's bounds and abort
   * (`Attempt.readThen`, the relay being the read's step: one promise a read, no async frame).
   */
  protected goOn(read: BodyRead | undefined): RelayOut | Promise<RelayOut> {
    try {
      let next = read ?? this.nextRead();
      while (true) {
        if (next instanceof Promise) {
          // Waiting on the upstream from now (or since earlier: a read that brought no event).
          this.attempt.waitingOnUpstream();
          return this.attempt.readThen(next, this);
        }
        const out = this.step(next);
        if (out !== null) return out;
        next = this.nextRead();
      }
    } catch (error) {
      // A read that threw where it should have rejected fails as one that rejects (a failure the
      // step found has closed the relay already, and passes through as it is).
      throw this.failed(error);
    }
  }

  /** One upstream read taken: the bytes to hand out, undefined at the stream's end, null to read again. */
  protected abstract step(read: BodyRead): RelayOut | Promise<RelayOut> | null;

  /** The next bytes for the client: at once when the upstream's body already holds them, else a promise. */
  private read(): RelayOut | Promise<RelayOut> {
    const failure = this.failAfter;
    if (failure) {
      this.failAfter = undefined;
      throw failure;
    }
    if (this.closed) return undefined;
    // The idle bound counts from when a read must wait (`goOn`): one the body already holds
    // reads no clock.
    return this.goOn(undefined);
  }

  /** The upstream's next read: the one already asked for (see `endAfter`), or a new one. */
  protected nextRead(): BodyRead | Promise<BodyRead> {
    const read = this.upcoming ?? this.feed.readMany();
    this.upcoming = undefined;
    return read;
  }

  /**
   * `out` are the bytes after the end marker. The upstream's body usually ends in the same read,
   * so its end is taken now when the body already holds it, else after one microtask, no more:
   * then the response closes in the same write as these last bytes (`drained`). An upstream slow
   * to end its body after the marker still has the marker reach the client at once; its end is
   * read by the next pull, under the idle bound, so its connection can serve again.
   */
  protected endAfterMarker(out: Uint8Array): Uint8Array | Promise<Uint8Array> {
    const upcoming = this.feed.readMany();
    if (upcoming instanceof Promise) return this.endAfter(upcoming, out);
    if (upcoming.done) this.drain();
    else this.upcoming = upcoming;
    return out;
  }

  private async endAfter(upcoming: Promise<BodyRead>, out: Uint8Array): Promise<Uint8Array> {
    await null;
    if (Bun.peek.status(upcoming) === "fulfilled" && (Bun.peek(upcoming) as BodyRead).done) {
      this.drain();
      return out;
    }
    // Still to come (or not an end): the next read takes it. Observed meanwhile, so that a
    // failure before then is not an unhandled rejection.
    upcoming.catch(() => {});
    this.upcoming = upcoming;
    return out;
  }

  /**
   * The relay fails with `out` still to hand out (the events before the failure): it closes, and
   * the failure is thrown now when there are none, else on the next read. `finished` as `close`'s.
   */
  protected failAfterBytes(found: GatewayError, out: Uint8Array | undefined, finished = false): Uint8Array {
    // A line past the bound is found by the scan, which does not know whose stream it reads.
    const failure = namedFailure(found, this.provider);
    this.close(failure, finished);
    if (!out) throw failure;
    this.failAfter = failure;
    return out;
  }

  /**
   * The stream is over with the bytes last handed out: a failure when it reported one before its
   * end marker (an error chunk then `[DONE]`, a Responses `response.failed`, an error event a
   * translation wrote), however its end was read. `finished`: the upstream's body was read to its
   * end (else what came after the end marker is not read, and the body is let go: `close`).
   */
  protected drain(finished = true): void {
    this.close(this.reported, finished);
    this.drained = true;
  }

  /**
   * `finished`: the upstream's body was read to its end, so there is nothing to stop: the
   * attempt is only disarmed (an abort costs an error object and an event, on every request).
   * Else the attempt is aborted and the body's connection closed.
   */
  protected close(failure?: GatewayError, finished = false): void {
    if (this.closed) return;
    this.closed = true;
    if (finished) this.attempt.disarm();
    else {
      this.attempt.abort(clientClosed());
      this.feed.cancel().catch(() => {});
    }
    this.end.done(failure);
  }
}
