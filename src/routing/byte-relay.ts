import type { ChunkSource } from "../core/chunk-source.ts";
import { type GatewayError, upstreamError } from "../core/gateway-error.ts";
import { joinBytes } from "../core/join-bytes.ts";
import type { BodyRead, ByteFeed } from "../providers/http/streamed-answer.ts";
import type { Attempt } from "./attempt.ts";
import { RelayScan, type UsageSink } from "./relay-scan.ts";
import { midStreamFailure, releaseUpstream } from "./release-upstream.ts";
import type { ReadStep } from "./stepped-reads.ts";

/** Called as methods of the object (the router's attempt is one: routing/route-attempt.ts). */
export interface ByteRelayOptions extends UsageSink {
  /** Names the upstream in error messages. */
  readonly provider: string;
  /** Called once, however the relay ends: with the failure when it failed. */
  done(error?: GatewayError): void;
}

/** A relay that has its first event, as the answer the router commits to. */
export interface RelayedStream {
  readonly kind: "stream";
  readonly chunks: ChunkSource;
}

/** One upstream read: every chunk its body held (Bun's `readMany`), or its end. */
type UpstreamRead = BodyRead;

/** A read's chunks as one (almost always there is one: no copy). */
const joined = (chunks: Uint8Array[]): Uint8Array | undefined =>
  chunks.length <= 1 ? chunks[0] : joinBytes(chunks);

/**
 * Relays a same-dialect event stream as the upstream's own bytes: one write per upstream read,
 * holding back only an event that has not finished arriving (what of a read goes out, and what
 * its events say, is the scan's: routing/relay-scan.ts). Usage is counted exactly, the forced
 * `include_usage` chunk can be cut out, and error events are relayed and recorded.
 *
 * Reads take what the upstream's body already holds at once (`readMany` answers without a promise
 * then), so a stream that arrived whole — its end known by its declared length — is relayed with
 * no turn and no promise of the relay's own. The body is a `ReadableStream`'s reader, or the lean
 * client's byte feed (the socket's reads, with no stream object in between). The relay is also
 * the committed answer itself.
 */
export class ByteRelay
  implements
    ChunkSource,
    RelayedStream,
    ReadStep<UpstreamRead, Uint8Array | undefined | Promise<Uint8Array | undefined>>
{
  readonly kind = "stream";
  readonly chunks: ChunkSource = this;
  drained = false;
  private readonly scan: RelayScan;
  private started = false;
  /** What came in before the first whole data event (handed out with it). */
  private held: Uint8Array | undefined;
  private primed: Uint8Array | undefined;
  private closed = false;
  /** A failure found while bytes before it were still to be handed out: thrown on the next read. */
  private failAfter: GatewayError | undefined;
  /** The upstream's next read, already asked for (see `ending`): in hand, or to come. */
  private upcoming: UpstreamRead | Promise<UpstreamRead> | undefined;

  constructor(
    private readonly reader: ByteFeed,
    private readonly attempt: Attempt,
    private readonly options: ByteRelayOptions,
    /** Body bytes the upstream declared and has not sent yet; -1 when it declared no length. */
    private left = -1,
  ) {
    this.scan = new RelayScan(options);
  }

  get reported(): GatewayError | undefined {
    return this.scan.reported;
  }

  /**
   * Reads until the first whole data event is in: until then a failure is the router's to retry
   * or fail over. Then the idle bound applies, re-armed by every read that completes an event.
   * When the body already held that event, the relay itself is returned (no promise, and no turn
   * for the router's await), and a failure found in it is thrown; else a promise of the relay.
   */
  start(): RelayedStream | Promise<RelayedStream> {
    const first = this.read();
    return first instanceof Promise ? this.startLater(first) : this.primedWith(first);
  }

  private async startLater(first: Promise<Uint8Array | undefined>): Promise<RelayedStream> {
    return this.primedWith(await first);
  }

  private primedWith(first: Uint8Array | undefined): RelayedStream {
    this.primed = first;
    if (!this.closed) this.attempt.arm("idle", this.attempt.timeouts.idleMs);
    return this;
  }

  next(): Promise<Uint8Array | undefined> {
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

  /** The next bytes for the client: at once when the upstream's body already holds them, else a promise. */
  private read(): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    const failure = this.failAfter;
    if (failure) {
      this.failAfter = undefined;
      throw failure;
    }
    if (this.closed) return undefined;
    this.attempt.waiting(true);
    return this.goOn(undefined);
  }

  /**
   * Takes reads (`read` first, when one is in hand) until there are bytes for the client or the
   * stream's end; a read still to come is waited for (`readLater`).
   */
  private goOn(read: UpstreamRead | undefined): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    try {
      let next = read ?? this.nextRead();
      while (true) {
        if (next instanceof Promise) return this.readLater(next);
        const out = this.step(next);
        if (out !== null) return this.ending(out);
        next = this.nextRead();
      }
    } catch (error) {
      throw this.failed(error);
    }
  }

  /** The upstream's next read: the one already asked for (see `ending`), or a new one. */
  private nextRead(): UpstreamRead | Promise<UpstreamRead> {
    const read = this.upcoming ?? this.reader.readMany();
    this.upcoming = undefined;
    return read;
  }

  /**
   * As `read`, once the upstream must be waited for: under the attempt's bounds and abort, the
   * read taken as it settles (`arrived`, the relay being the read's step): one promise a read,
   * no async frame.
   */
  private readLater(pending: Promise<UpstreamRead>): Promise<Uint8Array | undefined> {
    return this.attempt.readThen(pending, this);
  }

  /** A read waited for is in: the relay goes on with it in hand. */
  arrived(read: UpstreamRead): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    return this.goOn(read);
  }

  /** A read failed (or the attempt ended): the relay closes, with what the failure means. */
  failed(error: unknown): GatewayError {
    const failure = midStreamFailure(this.attempt, error, this.options.provider);
    this.close(failure);
    return failure;
  }

  /** One upstream read taken: the bytes to hand out, undefined at the stream's end, null to read again. */
  private step(read: UpstreamRead): Uint8Array | undefined | null {
    if (read.done) return this.atEnd();
    const value = joined(read.value);
    if (!value) return null;
    if (this.left > 0) this.left -= value.length;
    const taken = this.scan.take(value);
    const out = this.scan.brokenAt === -1 ? taken : this.beforeBroken(taken);
    if (this.started) {
      if (this.scan.events > 0) this.attempt.rearm();
      return out ?? null;
    }
    if (out) this.held = this.held ? joinBytes([this.held, out]) : out;
    if (this.scan.events > 0) this.started = true;
    const held = this.held;
    if (!this.started || !held) return null;
    this.held = undefined;
    return held;
  }

  /**
   * The upstream's body ended. A stream that stops without its end marker (and without an error
   * event of its own) was cut off: the client is told, and the record says it failed.
   */
  private atEnd(): Uint8Array | undefined {
    const last = this.scan.last();
    const held = this.held;
    this.held = undefined;
    const out = held && last ? joinBytes([held, last]) : (held ?? last);
    const scan = this.scan;
    const cut =
      scan.ended || scan.reported || scan.brokenAt !== -1
        ? undefined
        : upstreamError(`upstream ${this.options.provider} ended the stream without its end marker`);
    if (!cut) {
      this.close(undefined, true);
      return out;
    }
    this.close(cut, true);
    if (!out) throw cut;
    this.failAfter = cut;
    return out;
  }

  /**
   * Bytes for the client. When the end marker went by, the upstream's body usually ends in the
   * same read, so its end is taken now, and the client's response can close in the same write as
   * these last bytes (one write and no further pull, rather than a write for the terminator of
   * its own): known at once when the declared length is all in, or when the body already holds
   * its end; else after one microtask, no more: an upstream slow to end its body after the marker
   * still has the marker reach the client at once, and its end is read as before.
   */
  private ending(out: Uint8Array | undefined): Uint8Array | undefined | Promise<Uint8Array | undefined> {
    if (out === undefined) return undefined;
    // The client has the chunk: until it asks for the next, the idle bound does not count.
    this.attempt.waiting(false);
    if (!this.scan.ended || this.closed || this.scan.holding) return out;
    if (this.left === 0) {
      this.drain();
      return out;
    }
    const upcoming = this.reader.readMany();
    if (upcoming instanceof Promise) return this.endAfter(upcoming, out);
    if (upcoming.done) this.drain();
    else this.upcoming = upcoming;
    return out;
  }

  private async endAfter(upcoming: Promise<UpstreamRead>, out: Uint8Array): Promise<Uint8Array> {
    await null;
    if (Bun.peek.status(upcoming) === "fulfilled" && (Bun.peek(upcoming) as UpstreamRead).done) {
      this.drain();
      return out;
    }
    // Still to come (or not an end): the next read takes it. Observed meanwhile, so that a
    // failure before then is not an unhandled rejection.
    upcoming.catch(() => {});
    this.upcoming = upcoming;
    return out;
  }

  /** The upstream's body is over with the bytes last handed out. */
  private drain(): void {
    this.close(undefined, true);
    this.drained = true;
  }

  cancel(): void {
    this.close();
  }

  /**
   * What may still go out once a malformed event (or a line past the bound) was found: the
   * events before it. The relay
   * stops there; the failure is thrown now, or on the next read when bytes precede it.
   */
  private beforeBroken(taken: Uint8Array | undefined): Uint8Array | undefined {
    const broken =
      this.scan.overlongLine ??
      upstreamError(`upstream ${this.options.provider} sent a malformed stream event`);
    const out = taken && this.scan.beforeBroken();
    this.close(broken);
    if (!out) throw broken;
    this.failAfter = broken;
    return out;
  }

  /**
   * `finished`: the upstream's body was read to its end, so there is nothing to stop: the
   * attempt is only disarmed (an abort costs an error object and an event, on every request).
   */
  private close(failure?: GatewayError, finished = false): void {
    if (this.closed) return;
    this.closed = true;
    releaseUpstream(this.attempt, this.reader, finished);
    this.options.done(failure);
  }
}
