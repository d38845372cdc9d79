import type { GatewayError } from "../core/gateway-error.ts";
import { joinBytes, joinTwo } from "../core/join-bytes.ts";
import type { SseEvent } from "../core/sse.ts";
import { noAnswer } from "../providers/http/read-reply.ts";
import type { BodyRead, ByteFeed } from "../providers/http/streamed-answer.ts";
import type { Attempt } from "./attempt.ts";
import { RelayScan } from "./relay-scan.ts";
import { cutOff, malformedEvent, upstreamErrorIn } from "./stream-end.ts";
import { type RelayEnd, type RelayOut, UpstreamRelay } from "./upstream-relay.ts";
import type { UsageSink } from "./usage-sink.ts";

/** Called as methods of the object (the router's attempt is one: routing/route-attempt.ts). */
export interface ByteRelayOptions extends UsageSink, RelayEnd {
  /** The upstream's name (`fa`, `worker:w1`), as error messages name it through `upstreamName`. */
  readonly provider: string;
}

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
export class ByteRelay extends UpstreamRelay {
  private readonly scan: RelayScan;
  private started = false;
  /**
   * What came in before the answer's first event (comments, and its opening: `message_start`,
   * `ping`, a role chunk: answer-opening.ts), handed out with that event in the same write. The
   * read's own bytes, not a copy, unless the opening came over several reads.
   */
  private held: Uint8Array | undefined;

  constructor(
    reader: ByteFeed,
    attempt: Attempt,
    options: ByteRelayOptions,
    /** Body bytes the upstream declared and has not sent yet; -1 when it declared no length. */
    private left = -1,
  ) {
    super(reader, attempt, options.provider, options);
    this.scan = new RelayScan(options);
  }

  get reported(): GatewayError | undefined {
    return this.scan.reported;
  }

  get reportedEvent(): SseEvent | undefined {
    return this.scan.reportedEvent;
  }

  get failureUnended(): GatewayError | undefined {
    const { reportedUnended, reported } = this.scan;
    return reportedUnended && reported && upstreamErrorIn(reportedUnended, reported);
  }

  get complete(): boolean {
    return (this.scan.ended || this.finishedUnmarked) && !this.scan.holding;
  }

  /** Data events relayed so far (ChunkSource.events), as the scan counts them. */
  get events(): number {
    return this.scan.allEvents;
  }

  /**
   * The upstream's data events but its end marker and any chunk of usage alone
   * (`ChunkSource.upstreamEvents`): the same dialect's, so the events relayed, read when the
   * stream's usage is (no count of its own a read).
   */
  get upstreamEvents(): number {
    return (this.scan.ended ? this.events - 1 : this.events) - this.scan.usageOnly;
  }
  /** The body ended after the answer's finish reason but without `[DONE]`: complete all the same. */
  private finishedUnmarked = false;

  /** One upstream read taken: its bytes for the client, with the body's end read after the end marker. */
  protected step(read: BodyRead): RelayOut | Promise<RelayOut> | null {
    const out = this.take(read);
    return out === null ? null : this.ending(out);
  }

  /** One upstream read's bytes for the client, undefined at the stream's end, null to read again. */
  private take(read: BodyRead): Uint8Array | undefined | null {
    if (read.done) return this.atEnd();
    const value = joined(read.value);
    if (!value) return null;
    if (this.left > 0) this.left -= value.length;
    const scan = this.scan;
    const taken = scan.take(value);
    if (this.started) {
      const out = scan.brokenAt === -1 ? taken : this.beforeBroken(taken);
      if (scan.events > 0) this.attempt.rearm();
      return out ?? null;
    }
    // An error before the answer's first event (an overloaded upstream that answers 200 and says
    // so in its stream, at once or after `message_start`): nothing went out, the attempt failed,
    // and the router may retry or fail over, as it does for the same stream translated.
    this.failedBeforeAnswer();
    // A malformed event before the answer: its opening is not sent either.
    const out = scan.brokenAt === -1 ? taken : this.beforeBroken(scan.answering ? taken : undefined);
    if (out) this.held = this.held ? joinTwo(this.held, out) : out;
    if (scan.answering) this.started = true;
    const held = this.held;
    if (!this.started || !held) return null;
    this.held = undefined;
    return held;
  }

  /** Throws the upstream's own error when it came before any event of the answer. */
  private failedBeforeAnswer(): void {
    const { reportedFirst, reported } = this.scan;
    if (reportedFirst && reported) throw upstreamErrorIn(reportedFirst, reported);
  }

  /**
   * The upstream's body ended. One rule for every stream, translated ones too (StreamTranslation
   * `end`): an answer whose finish went by (a chat chunk's `finish_reason`, Anthropic's
   * `message_delta`) is complete, its end marker or not — a stream that lacks only `[DONE]` or
   * `message_stop` gets it added, as a translated one is written with it; a stream that stops
   * before (without an error event of its own) was cut off: the client is told, and the record
   * says it failed. Only events that arrived whole count: the finish must come before the event
   * the body's end leaves unfinished.
   */
  private atEnd(): Uint8Array | undefined {
    const scan = this.scan;
    const closing = scan.closing;
    const last = scan.last();
    const held = this.held;
    this.held = undefined;
    const out = held && last ? joinTwo(held, last) : (held ?? last);
    // An error event the body's end completed (no blank line after it) ends the answer's opening
    // as one that came whole does: nothing was sent yet, and the router may retry or fail over.
    // It is asked before `answering`, which the error event itself set.
    if (!this.started) this.failedBeforeAnswer();
    if (!scan.answering) {
      // Nothing of the answer came, only its opening if anything: none of it is sent, and the
      // attempt failed (a malformed event, cut off, or ended with chunks without a choice alone).
      return this.failAfterBytes(this.unanswered(), undefined, true);
    }
    if (scan.reported || scan.brokenAt !== -1 || scan.ended) {
      // An answer that ended in the upstream's own error event failed, as the record says (502).
      this.close(scan.reported, true);
      return out;
    }
    if (closing) {
      this.finishedUnmarked = true;
      // Before the close: a usage chunk the caller is owed is recorded as the stream's usage first.
      const marked = scan.closeRecordingOwedUsage(closing);
      this.close(undefined, true);
      return out ? joinTwo(out, marked) : marked;
    }
    return this.failAfterBytes(cutOff(this.provider), out, true);
  }

  /**
   * Bytes for the client. When the end marker went by, the upstream's body usually ends in the
   * same read, so its end is taken now, and the client's response can close in the same write as
   * these last bytes (one write and no further pull, rather than a write for the terminator of
   * its own): known at once when the declared length is all in, or when the body already holds
   * its end; else after one microtask, no more: an upstream slow to end its body after the marker
   * still has the marker reach the client at once, and its end is read as before.
   */
  private ending(out: RelayOut): RelayOut | Promise<RelayOut> {
    if (out === undefined) return undefined;
    // The client has the chunk: until it asks for the next, the idle bound does not count.
    this.attempt.waiting(false);
    if (!this.scan.ended || this.closed || this.scan.holding) return out;
    if (this.left === 0) {
      this.drain();
      return out;
    }
    return this.endAfterMarker(out);
  }

  /**
   * What may still go out once a malformed event (or a line past the bound) was found: the
   * events before it. The relay stops there (`failAfterBytes`).
   */
  private beforeBroken(taken: Uint8Array | undefined): Uint8Array | undefined {
    return this.failAfterBytes(this.broken(), taken && this.scan.beforeBroken());
  }

  /** What a stream that ended before its answer began fails with. */
  private unanswered(): GatewayError {
    if (this.scan.brokenAt !== -1) return this.broken();
    // Its end marker came: a stream with no answer in it, as a whole body with none is.
    return this.scan.ended ? noAnswer(this.provider) : cutOff(this.provider);
  }

  /** What the relay fails with at a malformed event or a line past the bound. */
  private broken(): GatewayError {
    return this.scan.overlongLine ?? malformedEvent(this.provider);
  }
}
