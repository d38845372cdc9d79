import type { ChunkSource } from "../core/chunk-source.ts";
import { type GatewayError, toGatewayError, upstreamError } from "../core/gateway-error.ts";
import { encodeSse, type SseEvent } from "../core/sse.ts";
import type { EventDecoder, UpstreamEvents } from "../providers/http/read-reply.ts";
import type { BodyRead, ByteFeed } from "../providers/http/streamed-answer.ts";
import type { EventSink, EventTranslation } from "../translate/stream/stream-translation.ts";
import type { Attempt } from "./attempt.ts";
import { reportsError } from "./event-chunks.ts";
import { midStreamFailure, releaseUpstream } from "./release-upstream.ts";
import type { ReadStep } from "./stepped-reads.ts";

/** Called as a method of the object (the router's attempt is one: routing/route-attempt.ts). */
export interface TranslatedRelayOptions {
  /** Called once, however the relay ends: with the failure when it failed. */
  done(error?: GatewayError): void;
}

type Out = Uint8Array | undefined;

const encoder = new TextEncoder();

/**
 * A translated event stream relayed one write per upstream read: each read's events are decoded,
 * translated together (`StreamTranslation`, the one loop) and encoded as one string, one encode,
 * one chunk for the client; a read that makes no client bytes (a keep-alive, half an event) reads
 * on. Reads taken while the body already holds them need no promise, so a stream that came whole
 * in its first read is translated whole before the router commits (`drained`: answered as a
 * non-stream answer is). Until the first translated event a failure is the router's to retry or
 * fail over; after it the idle bound applies, re-armed by every read that makes client bytes.
 * The relay is also the committed answer itself, and the translation's sink.
 */
export class TranslatedRelay implements ChunkSource, EventSink, ReadStep<BodyRead, Out | Promise<Out>> {
  readonly kind = "stream";
  readonly chunks: ChunkSource = this;
  drained = false;
  reported: GatewayError | undefined;
  private readonly decoder: EventDecoder;
  /** The caller's events written since the last hand-out, as wire text. */
  private text = "";
  private primed: Uint8Array | undefined;
  private closed = false;
  /** A failure found after bytes before it were written: thrown on the next read. */
  private failAfter: GatewayError | undefined;
  /** The body's next read, asked for after the end marker (`endAfter`) or the first bytes (`endInHand`). */
  private upcoming: BodyRead | Promise<BodyRead> | undefined;
  /** The first read with client bytes looked for the body's end (`endInHand`). */
  private peeked = false;

  private readonly feed: ByteFeed;
  /** Names the upstream in error messages. */
  private readonly provider: string;

  constructor(
    upstream: UpstreamEvents,
    private readonly attempt: Attempt,
    private readonly translation: EventTranslation,
    /** Undefined: the stream is in the upstream's dialect, which reports a failure its usual way. */
    readonly errorEvent: ((error: GatewayError) => SseEvent) | undefined,
    private readonly options: TranslatedRelayOptions,
  ) {
    this.feed = upstream.body;
    this.provider = upstream.provider;
    this.decoder = upstream.decoder();
  }

  /** One of the caller's events, written by the translation. */
  push(event: SseEvent): void {
    this.text += encodeSse(event);
    // An error event the translation wrote itself still leaves HTTP 200; the record must say so.
    if (!this.reported && reportsError(event))
      this.reported = upstreamError("the stream ended with an error event");
  }

  /** Reads until the first translated bytes are in: the relay itself when no read had to wait. */
  start(): TranslatedRelay | Promise<TranslatedRelay> {
    const first = this.read();
    return first instanceof Promise ? first.then((bytes) => this.primedWith(bytes)) : this.primedWith(first);
  }

  private primedWith(first: Out): TranslatedRelay {
    this.primed = first;
    if (!this.closed) {
      this.attempt.waiting(false);
      this.attempt.arm("idle", this.attempt.timeouts.idleMs);
    }
    return this;
  }

  next(): Promise<Out> {
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

  cancel(): void {
    this.close();
  }

  private read(): Out | Promise<Out> {
    const failure = this.failAfter;
    if (failure) {
      this.failAfter = undefined;
      throw failure;
    }
    if (this.closed) return undefined;
    this.attempt.waiting(true);
    const upcoming = this.upcoming;
    this.upcoming = undefined;
    return this.goOn(upcoming);
  }

  /** Takes reads until there are bytes for the client or the stream's end; one still to come is waited for. */
  private goOn(read: BodyRead | Promise<BodyRead> | undefined): Out | Promise<Out> {
    try {
      let next = read ?? this.feed.readMany();
      while (true) {
        if (next instanceof Promise) return this.attempt.readThen(next, this);
        const out = this.step(next);
        if (out !== null) return out;
        next = this.feed.readMany();
      }
    } catch (error) {
      // A read that threw where it should have rejected fails as one that rejects (a failure the
      // step found has closed the relay already, and passes through as it is).
      throw this.failed(error);
    }
  }

  /** A read waited for is in (the relay is the read's step). */
  arrived(read: BodyRead): Out | Promise<Out> {
    return this.goOn(read);
  }

  /** A read failed (or the attempt ended): the relay closes, with what the failure means. */
  failed(error: unknown): GatewayError {
    const failure = midStreamFailure(this.attempt, error, this.provider);
    this.close(failure);
    return failure;
  }

  /** One upstream read: the bytes to hand out, undefined at the stream's end, null to read again. */
  private step(read: BodyRead): Out | Promise<Out> | null {
    // Only the body's end was still awaited (`endAfter`): anything else after the end is not read.
    if (this.translation.done) {
      this.drained = true;
      this.close(undefined, read.done);
      return undefined;
    }
    let ended: boolean;
    try {
      ended = read.done ? this.atEnd() : this.translate(read.value) || this.endInHand();
    } catch (error) {
      return this.failing(toGatewayError(error));
    }
    const out = this.handOut();
    if (ended) return this.ending(out);
    if (out === undefined) return null;
    this.attempt.rearm();
    // The client has the chunk: until it asks for the next, the idle bound does not count.
    this.attempt.waiting(false);
    return out;
  }

  /** A read's events translated; true when the stream's end was among them. */
  private translate(chunks: Uint8Array[]): boolean {
    const translation = this.translation;
    for (const chunk of chunks) {
      for (const event of this.decoder.push(chunk)) if (translation.take(event, this)) return true;
    }
    return false;
  }

  /**
   * A stream with no end marker (Bedrock's, Gemini's) ends with its body. After the first read
   * that makes client bytes, what the body already holds is taken too, its end included, so that
   * a stream whole in one read is answered whole (`drained`); a read still to come is waited for
   * by the next pull. True when the stream's end was in hand.
   */
  private endInHand(): boolean {
    if (this.text === "" || this.peeked) return false;
    this.peeked = true;
    let after: BodyRead | Promise<BodyRead>;
    try {
      after = this.feed.readMany();
    } catch (error) {
      throw midStreamFailure(this.attempt, error, this.provider);
    }
    if (after instanceof Promise) {
      // Observed meanwhile, so that a failure before the next pull is not an unhandled rejection.
      after.catch(() => {});
    } else if (after.done) return this.atEnd();
    // Bytes after these are the next pull's, its own chunk.
    this.upcoming = after;
    return false;
  }

  /** The upstream's body ended: a last event not closed by a blank line, then the translation's end. */
  private atEnd(): true {
    const translation = this.translation;
    for (const event of this.decoder.end()) if (translation.take(event, this)) return true;
    return translation.end(this);
  }

  /** The text written since the last hand-out, encoded once. */
  private handOut(): Out {
    const text = this.text;
    if (text === "") return undefined;
    this.text = "";
    return encoder.encode(text);
  }

  /**
   * The translation is over, `out` its last bytes. The upstream's body usually ends in the same
   * read as its end marker: taken now when the body already holds its end, else after one
   * microtask, no more (an upstream that ends its body in a write of its own after the marker
   * still has the marker's events reach the client at once, and its end is read by the next pull,
   * under the idle bound, so its connection can serve again): then the response closes with these
   * bytes (`drained`). What follows the end marker other than the body's end is not read.
   */
  private ending(out: Out): Out | Promise<Out> {
    if (this.closed) {
      this.drained = true;
      return out;
    }
    const after = this.feed.readMany();
    if (after instanceof Promise) return this.endAfter(after, out);
    this.drained = true;
    this.close(undefined, after.done);
    return out;
  }

  private async endAfter(after: Promise<BodyRead>, out: Out): Promise<Out> {
    await null;
    if (Bun.peek.status(after) === "fulfilled" && (Bun.peek(after) as BodyRead).done) {
      this.drained = true;
      this.close(undefined, true);
      return out;
    }
    // Observed meanwhile, so that a failure before the next pull is not an unhandled rejection.
    after.catch(() => {});
    this.upcoming = after;
    return out;
  }

  /**
   * A failure in a read (an in-band error, an unreadable event, a line past the bound, a stream
   * cut short): the events before it still go out, and the failure is thrown on the next read;
   * thrown now when there are none.
   */
  private failing(failure: GatewayError): Uint8Array {
    const out = this.handOut();
    this.close(failure);
    if (!out) throw failure;
    this.failAfter = failure;
    return out;
  }

  /** `finished`: the upstream's body was read to its end (`releaseUpstream`). */
  private close(failure?: GatewayError, finished = false): void {
    if (this.closed) return;
    this.closed = true;
    releaseUpstream(this.attempt, this.feed, finished);
    this.options.done(failure);
  }
}
