import type { ChunkSource, QuietListener } from "../core/chunk-source.ts";
import { RESPONSE_FAILED } from "../core/final-response-events.ts";
import { clientClosed, type GatewayError, providerFailure } from "../core/gateway-error.ts";
import { joinBytes, joinTwo } from "../core/join-bytes.ts";
import { encodeSse, type SseEvent } from "../core/sse.ts";
import { namedFailure } from "../providers/upstream-name.ts";
import { usageAlone } from "./answer-event.ts";
import type { Attempt } from "./attempt.ts";
import type { OwedEventUsage } from "./owed-event-usage.ts";
import { CLOSING, closingAfter, cutOff, DONE_DATA, endsStreamEvent, reportedFailure } from "./stream-end.ts";

/** Sees each event of a decoded same-dialect stream; false drops it for the caller. */
export type Pass = (event: SseEvent) => boolean;

/**
 * Reads decoded events under the attempt's abort signal, skipping what `pass` drops, and notes
 * whether the stream is whole so far (stream-end.ts), dropped events included.
 */
export class EventReader {
  /** The stream's end marker went by. */
  ended = false;
  /** Set once the answer's finish went by, to the end marker the stream then still needs. */
  closing: string | undefined;
  /**
   * The events read that may carry the answer (answer-event.ts: not the end marker, nor a chunk
   * of usage alone), dropped ones too (`ChunkSource.upstreamEvents` when they are the upstream's).
   */
  read = 0;

  constructor(
    readonly iterator: AsyncIterator<SseEvent>,
    private readonly attempt: Attempt,
    private readonly pass: Pass | undefined,
  ) {}

  async next(): Promise<IteratorResult<SseEvent>> {
    while (true) {
      const next = await this.attempt.read(this.iterator.next());
      if (next.done) return next;
      const event = next.value;
      if (endsStreamEvent(event)) this.ended = true;
      else {
        if (!usageAlone(event.data)) this.read++;
        if (!this.closing) this.closing = closingAfter(event);
      }
      if (!this.pass || this.pass(event)) return next;
    }
  }
}

/**
 * A failure the stream reports itself: `event: error` (Anthropic, Responses), OpenAI's error chunk,
 * or a Responses stream's `response.failed` (its end, and its failure: stream-end.ts).
 */
const OPENAI_ERROR_CHUNK = /^\s*\{\s*"error"\s*:/;
const reportsError = (event: SseEvent) =>
  event.event === "error" || event.event === RESPONSE_FAILED || OPENAI_ERROR_CHUNK.test(event.data);

/**
 * The failure a decoded event reports of its stream, in the words every relay records it with
 * (stream-end.ts `reportedFailure`); undefined for any other event.
 */
export const failureReported = (event: SseEvent): GatewayError | undefined =>
  reportsError(event) ? reportedFailure(event.event) : undefined;

/** A relay of decoded events, and the first failure one of them reported (`ChunkSource.reported`). */
export interface ReportedFailure {
  reported: GatewayError | undefined;
  /** The event `reported` stands for (`ChunkSource.reportedEvent`). */
  reportedEvent: SseEvent | undefined;
}

/**
 * Notes on `relay` the failure `event` reports, when none was noted before: the first one stands
 * (an error event still leaves HTTP 200; the record must say so). Both relays of decoded events
 * (this one and translated-relay.ts) note so, per event: a field read, and a test of the event.
 */
export function noteReported(relay: ReportedFailure, event: SseEvent): void {
  if (relay.reported !== undefined) return;
  relay.reported = failureReported(event);
  if (relay.reported) relay.reportedEvent = event;
}

const encoder = new TextEncoder();

/**
 * A stream of decoded events (a translation, or a provider that yields events) as client bytes,
 * one encoded event per pull, under the idle bound. The first event was read before the answer
 * was committed; the byte path for same-dialect upstreams is `ByteRelay`.
 */
export class EventChunks implements ChunkSource, ReportedFailure {
  reported: GatewayError | undefined;
  reportedEvent: SseEvent | undefined;
  private first: SseEvent | undefined;
  private closed = false;

  constructor(
    first: IteratorResult<SseEvent>,
    private readonly reader: EventReader,
    private readonly attempt: Attempt,
    private readonly done: (error?: GatewayError) => void,
    /**
     * The upstream's name in a cut-off stream's error, or its translation's (`fa`, `worker:w1`:
     * stream-end.ts `cutOff`, upstream-name.ts `namedFailure`).
     */
    private readonly provider: string,
    /** The events that opened the answer before its first (answer-opening.ts): written with it. */
    private opening?: readonly SseEvent[],
    /**
     * What counts the upstream's events: the reader, which reads them, unless it reads a
     * translation's (then counted as the translation reads them: routing/counted-events.ts).
     */
    private readonly upstream: { readonly read: number } = reader,
    /** The usage chunk the caller may be owed before the end marker (owed-event-usage.ts). */
    private readonly owed?: OwedEventUsage,
  ) {
    if (first.done) this.close();
    else {
      this.first = first.value;
      attempt.waiting(false);
      attempt.arm("idle", attempt.timeouts.idleMs);
    }
  }

  async next(): Promise<Uint8Array | undefined> {
    if (this.closed) return undefined;
    let event = this.first;
    this.first = undefined;
    try {
      if (!event) {
        this.attempt.waiting(true);
        const next = await this.reader.next();
        if (next.done) return this.atEnd();
        this.attempt.rearm();
        event = next.value;
      }
    } catch (error) {
      // What the provider's events threw, as the translating relay takes it (core/gateway-error.ts):
      // a translation's of them, not told whose stream it read (a stream cut before its finish),
      // named, as the same provider's stream in the caller's dialect is (`cutOff`).
      const failure = namedFailure(
        this.attempt.failure(error, providerFailure(error, "upstream stream failed")),
        this.provider,
      );
      this.close(failure);
      throw failure;
    }
    noteReported(this, event);
    // The client has the event: until it asks for the next, the idle bound does not count.
    this.attempt.waiting(false);
    // The usage chunk owed goes right before the end marker, whatever came before it: the answer's
    // events, or only its opening (a role chunk, nothing said), as the byte relay writes it.
    const owed = this.owed && event.data === DONE_DATA && !this.reported ? this.owedChunk() : undefined;
    const opening = this.opening;
    if (opening === undefined) {
      const bytes = encoder.encode(encodeSse(event));
      return owed ? joinTwo(owed, bytes) : bytes;
    }
    this.opening = undefined;
    let text = "";
    for (const opened of opening) text += encodeSse(opened);
    if (owed) return joinBytes([encoder.encode(text), owed, encoder.encode(encodeSse(event))]);
    return encoder.encode(text + encodeSse(event));
  }

  /** The upstream's data events read so far but its end marker and chunks of usage alone (`ChunkSource.upstreamEvents`). */
  get upstreamEvents(): number {
    return this.upstream.read;
  }

  /** Whether the source has read the answer's end marker (`ChunkSource.complete`). */
  get complete(): boolean {
    return this.reader.ended || this.finishedUnmarked;
  }

  private finishedUnmarked = false;

  /**
   * The upstream's stream ended: by the byte relay's rule (stream-end.ts), complete after its end
   * marker or an error event of its own — the attempt closed with the failure that event reported,
   * as the request's record is; after the answer's finish, complete with the marker it left out
   * added; before it, cut off — thrown, so the caller gets its error event and the record the
   * failure.
   */
  private atEnd(): Uint8Array | undefined {
    const { ended, closing } = this.reader;
    if (ended || this.reported) {
      this.close(this.reported);
      return undefined;
    }
    if (closing) {
      this.finishedUnmarked = true;
      const owed = this.owed && closing === CLOSING.openai ? this.owedChunk() : undefined;
      this.close();
      const bytes = encoder.encode(closing);
      return owed ? joinTwo(owed, bytes) : bytes;
    }
    throw cutOff(this.provider);
  }

  /** The usage chunk owed, once the stream ended whole, counted as `ChunkSource.upstreamEvents`. */
  private owedChunk(): Uint8Array | undefined {
    return this.owed?.chunk(this.upstreamEvents);
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

  private close(failure?: GatewayError): void {
    if (this.closed) return;
    this.closed = true;
    this.attempt.abort(clientClosed());
    this.done(failure);
    void this.reader.iterator.return?.();
  }
}
