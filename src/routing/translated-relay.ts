import { type GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { encodeSse, type SseEvent } from "../core/sse.ts";
import type { BodyRead } from "../providers/http/streamed-answer.ts";
import type { EventDecoder, UpstreamEvents } from "../providers/http/upstream-events.ts";
import type { EventSink, EventTranslation } from "../translate/stream/stream-translation.ts";
import { answerBegan, mayOpenAnswer, type OpeningHold, settleOpening } from "./answer-opening.ts";
import type { Attempt } from "./attempt.ts";
import { noteReported, type ReportedFailure } from "./event-chunks.ts";
import { type RelayEnd, type RelayOut, UpstreamRelay } from "./upstream-relay.ts";

const encoder = new TextEncoder();

/**
 * A translated event stream relayed one write per upstream read: each read's events are decoded,
 * translated together (`EventTranslation`: `StreamTranslation`, the one loop, or a provider's
 * translation chained to it, `ChainedTranslation`) and encoded as one string, one encode,
 * one chunk for the client; a read that makes no client bytes (a keep-alive, half an event) reads
 * on. Reads taken while the body already holds them need no promise, so a stream that came whole
 * in its first read is translated whole before the router commits (`drained`: answered as a
 * non-stream answer is). Until the first translated event a failure is the router's to retry or
 * fail over; after it the idle bound applies, re-armed by every read (a keep-alive's too).
 * The relay is also the committed answer itself, and the translation's sink.
 */
export class TranslatedRelay extends UpstreamRelay implements EventSink, OpeningHold, ReportedFailure {
  reported: GatewayError | undefined;
  reportedEvent: SseEvent | undefined;
  /** The caller's events written so far (ChunkSource.events). */
  events = 0;
  private readonly decoder: EventDecoder;
  /** The caller's events written since the last hand-out, as wire text. */
  private text = "";
  /** The first read with client bytes looked for the body's end (`endInHand`). */
  private peeked = false;
  /** The translation ended whole: the answer's last events are written (`complete`). */
  private finished = false;
  /**
   * An event of the answer itself was written, not only its opening (a role chunk,
   * `message_start`, `response.created`: answer-opening.ts). Until then what is written is held,
   * and a failure is the router's to retry or fail over, nothing having reached the client. Read
   * through `settleOpening`, which decides a role chunk still held (`OpeningHold`).
   */
  answering = false;
  /**
   * A chat chunk naming the role was written before the answer began, whether it said anything
   * else still open (`OpeningHold`): decoded once the read's events are all written, or when a
   * next event may only open the answer too; never when the next is plainly the answer's.
   */
  holdsOpening = false;
  /** The held role chunk's data (`holdsOpening`). */
  private held = "";

  constructor(
    upstream: UpstreamEvents,
    attempt: Attempt,
    private readonly translation: EventTranslation,
    /** Undefined: the stream is in the upstream's dialect, which reports a failure its usual way. */
    readonly failureEvents: ((error: GatewayError) => SseEvent[]) | undefined,
    end: RelayEnd,
  ) {
    super(upstream.body, attempt, upstream.provider, end);
    this.decoder = upstream.decoder();
  }

  /**
   * Whether the answer is whole (`ChunkSource.complete`): the translation ended whole, its last
   * events handed out. A client that leaves once they are written, before the upstream closed its
   * body (the SDKs stop at `[DONE]` or `message_stop`), had a success, not a 499.
   */
  get complete(): boolean {
    return this.finished;
  }

  /** One of the caller's events, written by the translation. */
  push(event: SseEvent): void {
    this.events++;
    this.text += encodeSse(event);
    if (!this.answering) this.watchOpening(event);
    // An error event the translation wrote itself still leaves HTTP 200; the record must say so.
    noteReported(this, event);
  }

  /** One upstream read: the bytes to hand out, undefined at the stream's end, null to read again. */
  protected step(read: BodyRead): RelayOut | Promise<RelayOut> | null {
    // Only the body's end was still awaited (`endAfter`): anything else after the end is not read.
    if (this.translation.done) {
      this.drain(read.done);
      return undefined;
    }
    let ended: boolean;
    try {
      ended = read.done
        ? this.atEnd()
        : this.translate(read.value) || (settleOpening(this) && this.endInHand());
    } catch (error) {
      return this.failing(toGatewayError(error));
    }
    // The answer's opening waits for its first event, and goes out with it in one write.
    const out = ended || settleOpening(this) ? this.handOut() : undefined;
    if (ended) {
      this.finished = true;
      return this.ending(out);
    }
    // Every read is a sign of life, one that makes no client bytes too (Anthropic's `ping`, a
    // `:` comment): the idle bound counts from it, as the byte relay's does from what it relays.
    this.attempt.rearm();
    if (out === undefined) return null;
    // The client has the chunk: until it asks for the next, the idle bound does not count.
    this.attempt.waiting(false);
    return out;
  }

  /**
   * An event written before the answer's first: whether it is that (answer-opening.ts). An event
   * that cannot only open the answer is, and so says the answer began whatever a role chunk
   * before it held; another opening event has a held chunk decoded first; a role chunk is held.
   */
  private watchOpening(event: SseEvent): void {
    if (!mayOpenAnswer(event)) answerBegan(this);
    else if (!settleOpening(this) && event.event === undefined) {
      this.holdsOpening = true;
      this.held = event.data;
    }
  }

  /** The held role chunk's data (`OpeningHold`). */
  heldChunk(): string {
    return this.held;
  }

  /** A read's events translated; true when the stream's end was among them. */
  private translate(chunks: Uint8Array[]): boolean {
    for (const chunk of chunks) {
      for (const event of this.decoder.push(chunk)) if (this.translation.take(event, this)) return true;
    }
    return false;
  }

  /**
   * The upstream's events read so far but its end marker and chunks of usage alone
   * (`ChunkSource.upstreamEvents`): the translation's count, as it read each, not off what it
   * wrote (framing the caller's dialect adds); the same count its estimate says.
   */
  get upstreamEvents(): number {
    return this.translation.upstreamEvents;
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
      throw this.midStreamFailure(error);
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
    for (const event of this.decoder.end()) if (this.translation.take(event, this)) return true;
    return this.translation.end(this);
  }

  /** The text written since the last hand-out, encoded once. */
  private handOut(): RelayOut {
    const text = this.text;
    if (text === "") return undefined;
    this.text = "";
    return encoder.encode(text);
  }

  /**
   * The translation is over, `out` its last bytes: the body's end is read after them
   * (`endAfterMarker`); what follows the end marker other than the body's end is not read.
   */
  private ending(out: RelayOut): RelayOut | Promise<RelayOut> {
    if (this.closed) {
      this.drained = true;
      return out;
    }
    // Nothing left to write: the body's end is read now, and the stream ends with it.
    if (out === undefined) return this.goOn(undefined);
    return this.endAfterMarker(out);
  }

  /**
   * A failure in a read (an in-band error, an unreadable event, a line past the bound, a stream
   * cut short): the events before it still go out (`failAfterBytes`).
   */
  private failing(failure: GatewayError): Uint8Array {
    // Before the answer's first event, its opening is dropped: the client gets nothing of this attempt.
    if (!settleOpening(this)) this.text = "";
    return this.failAfterBytes(failure, this.handOut());
  }
}
