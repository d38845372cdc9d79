import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { Usage } from "../../core/usage.ts";
import type { StreamRead, StreamReader, StreamWriter } from "./stream-driver.ts";

/** Where a translation puts the caller's events: an array, or the relay's text (`SseText`). */
export interface EventSink {
  push(event: SseEvent): unknown;
}

/**
 * What a relay runs over each upstream read's events (routing/translated-relay.ts): a
 * `StreamTranslation`, or a provider's translation chained to the router's (`ChainedTranslation`).
 */
export interface EventTranslation {
  /** True once the translation is over: the events after it are not read. */
  readonly done: boolean;
  /** Translates one upstream event into `out`; true when it was the stream's end. */
  take(event: SseEvent, out: EventSink): boolean;
  /** The upstream's events are over: the last events into `out`, or the reason it is not whole thrown. */
  end(out: EventSink): true;
}

/**
 * The one stream-translation loop, synchronous: each upstream event is read once and written in
 * the caller's dialect into the sink it is given, so a relay can translate every event of one
 * upstream read and hand the client one chunk (routing/translated-relay.ts), and the async driver
 * (`translateStream`) is a thin loop over the same object. Every failure — an in-band upstream
 * error, an unreadable event, a stream cut short — is thrown as a GatewayError with its own class:
 * before the first event the router may still retry or fail over; after it the front door writes
 * `errorEvent(error)`, the same way on every dialect pair.
 */
export class StreamTranslation<C> implements EventTranslation {
  /** True once the first chunk was read (and the writer started). */
  started = false;
  /** True once the translation is over: the upstream's end marker or last event, and `finish` written. */
  done = false;

  constructor(
    private readonly read: StreamReader<C>,
    private readonly writer: StreamWriter<C>,
    private readonly onUsage: ((usage: Usage) => void) | undefined,
  ) {}

  /**
   * Translates one upstream event into `out`. Returns true when it was the stream's end (the
   * answer's last events written); events after the end are not read.
   */
  take(event: SseEvent, out: EventSink): boolean {
    if (this.done) return true;
    let item: StreamRead<C>;
    try {
      item = this.read(event);
      if (item.kind === "skip") return false;
      if (item.kind === "end") return this.end(out);
      if (item.kind === "error") throw item.error;
      if (item.usage) this.onUsage?.(item.usage);
      const writer = this.writer;
      if (!this.started) {
        this.started = true;
        for (const written of writer.start(item.chunk)) out.push(written);
      }
      for (const written of writer.chunk(item.chunk)) out.push(written);
    } catch (error) {
      throw error instanceof GatewayError ? error : upstreamError("upstream stream failed");
    }
    return item.last === true ? this.end(out) : false;
  }

  /**
   * The upstream's events are over (its end marker, its last event, or its body's end): the
   * answer's last events into `out`, or the reason it is not whole thrown.
   */
  end(out: EventSink): true {
    if (this.done) return true;
    this.done = true;
    if (!this.started) throw upstreamError("upstream stream ended before any event");
    if (!this.writer.complete) throw upstreamError("upstream stream ended before the answer was complete");
    for (const written of this.writer.finish()) out.push(written);
    return true;
  }

  /** A failure after the stream started, as this stream's own error event. */
  errorEvent(error: GatewayError): SseEvent {
    return this.writer.error(error);
  }
}
