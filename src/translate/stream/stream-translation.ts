import type { JsonObject } from "../../core/dialect.ts";
import { type GatewayError, providerFailure } from "../../core/gateway-error.ts";
import { noAnswerFrom } from "../../core/holds-no-answer.ts";
import type { SseEvent } from "../../core/sse.ts";
import { earlyEnd, StreamEndedEarly } from "../../core/stream-ended-early.ts";
import type { Usage } from "../../core/usage.ts";
import { estimatedStreamUsage, reportsUsage } from "../stream-estimate.ts";

/** One upstream event, read (and parsed) exactly once. */
export type StreamRead<C> =
  | {
      readonly kind: "chunk";
      readonly chunk: C;
      readonly usage?: Usage;
      /** The model the event says answered, read with its usage (translate/answered-model.ts). */
      readonly model?: string;
      /** The stream's end event (Anthropic's `message_stop`): read, but no token of the answer. */
      readonly last?: boolean;
      /**
       * A chunk without a choice (OpenAI's `include_usage` chunk, `choices: []`; Azure's prompt
       * filter results): no token either.
       */
      readonly usageOnly?: boolean;
    }
  /** Keep-alives and events with no counterpart on the other side. */
  | { readonly kind: "skip" }
  /** The upstream's end marker (`[DONE]`). */
  | { readonly kind: "end" }
  /** The upstream reported a failure inside the stream. */
  | { readonly kind: "error"; readonly error: GatewayError };

/** Told each usage figure a stream reports, with the model its event names (if any). */
export type UsageSeen = (usage: Usage, model?: string) => void;

/** Reads one upstream event of the source dialect. Throws a GatewayError on one it cannot read. */
export type StreamReader<C> = (event: SseEvent) => StreamRead<C>;

/**
 * Writes the caller's dialect. The loop (`StreamTranslation`) calls `start` once with the first
 * chunk, `chunk` for each chunk (the first included), then either `finish` (the upstream completed
 * the answer) or, through the front door, `error` (it failed after the first event). The events
 * are taken at once, every one of them: a list is the cheapest `Iterable` to hand back (a
 * generator a chunk showed in the translated stream's profile; docs/BENCHMARKS-HISTORY.md,
 * session 18).
 */
export interface StreamWriter<C> {
  start(first: C): Iterable<SseEvent>;
  chunk(chunk: C): Iterable<SseEvent>;
  /** True once the upstream said the answer is whole (a finish reason, `message_stop`). */
  readonly complete: boolean;
  /**
   * The upstream's dialect has no end marker, its stream ending with its body (Gemini's, Bedrock
   * Converse's): cut before its finish, it ended "before the answer began" or "…was complete". Left
   * out, the dialect has one (chat's `[DONE]`, Messages' `message_stop`), and a stream cut before
   * its finish ended "without its end marker", the byte relay's words for the same stream relayed
   * as it came (core/stream-ended-early.ts `ENDED_EARLY`).
   */
  readonly noEndMarker?: true;
  /**
   * The answer's last events. `estimated`: the upstream reported no usage, and this is what the
   * caller is charged (translate/stream-estimate.ts), to say in place of the upstream's figures.
   */
  finish(estimated?: Usage): Iterable<SseEvent>;
  /**
   * A failure after the stream started, as the events this stream ends with then: the dialect's
   * error event (a Responses stream's `error`, then `response.failed`: core/error-wire.ts).
   */
  error(error: GatewayError): SseEvent[];
}

/**
 * Where a translation puts the caller's events: an array, the relay (`TranslatedRelay`, as wire
 * text), or the next translation (`ChainedTranslation`).
 */
export interface EventSink {
  push(event: SseEvent): unknown;
}

/**
 * A pass over a stream's events, synchronous: a translation, or what a chain runs after its first
 * (`ChainedTranslation`: the caller's dialect, or an OpenAI caller's usage meter, `KeptEvents`).
 */
export interface EventStage {
  /** True once the pass is over: the events after it are not read. */
  readonly done: boolean;
  /** Translates one event into `out`; true when it was the stream's end. */
  take(event: SseEvent, out: EventSink): boolean;
  /** The events are over: the last events into `out`, or the reason it is not whole thrown. */
  end(out: EventSink): true;
}

/**
 * What a relay runs over each upstream read's events (routing/translated-relay.ts): a
 * `StreamTranslation`, or a provider's translation chained to the router's (`ChainedTranslation`).
 * It reads the upstream's own events, so it counts them.
 */
export interface EventTranslation extends EventStage {
  /**
   * The upstream's events read so far that may carry the answer: not its end marker nor a chunk
   * of usage alone. The stream's one count of them (`ChunkSource.upstreamEvents`, the estimate).
   */
  readonly upstreamEvents: number;
}

/**
 * The one stream-translation loop, synchronous: each upstream event is read once and written in
 * the caller's dialect into the sink it is given, so a relay can translate every event of one
 * upstream read and hand the client one chunk (routing/translated-relay.ts), and the async driver
 * (`translateStream`) is a thin loop over the same object. Every failure — an in-band upstream
 * error, an unreadable event, a stream cut short — is thrown as a GatewayError with its own class:
 * before the first event the router may still retry or fail over; after it the front door writes
 * `failureEvents(error)`, the same way on every dialect pair.
 */
export class StreamTranslation<C> implements EventTranslation {
  /** True once the first chunk was read (and the writer started). */
  started = false;
  /** True once the translation is over: the upstream's end marker or last event, and `finish` written. */
  done = false;
  /**
   * The upstream's events read but its end marker and chunks of usage alone (`EventTranslation`):
   * the answer's count, should it report no usage. Written here only.
   */
  upstreamEvents = 0;
  /** A usage figure of the upstream's own went by (stream-estimate.ts `reportsUsage`). */
  private reported = false;

  constructor(
    private readonly read: StreamReader<C>,
    private readonly writer: StreamWriter<C>,
    private readonly onUsage: UsageSeen | undefined,
    /**
     * The caller's request, its prompt estimated when the upstream reports no usage: the estimate
     * is told the caller at the end (`StreamWriter.finish`) and recorded through `onUsage`.
     */
    private readonly prompt?: JsonObject,
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
      if (item.kind === "end") return this.end(out, true);
      if (item.kind !== "chunk" || !(item.last || item.usageOnly)) this.upstreamEvents++;
      if (item.kind === "skip") return false;
      if (item.kind === "error") throw item.error;
      if (item.usage) {
        this.reported ||= reportsUsage(item.usage);
        this.onUsage?.(item.usage, item.model);
      }
      const writer = this.writer;
      if (!this.started) {
        this.started = true;
        for (const written of writer.start(item.chunk)) out.push(written);
      }
      for (const written of writer.chunk(item.chunk)) out.push(written);
    } catch (error) {
      throw providerFailure(error, "upstream stream failed");
    }
    return item.last === true ? this.end(out, true) : false;
  }

  /**
   * The upstream's events are over (`marked`: by its end marker or last event; else by its body's
   * end): the answer's last events into `out`, or the reason it is not whole thrown. After content
   * a marker makes the answer whole even without its finish (written as `stop` / `end_turn`), as a
   * stream relayed as bytes is whole at its marker (docs/CLIENTS.md "When a stream is whole").
   */
  end(out: EventSink, marked = false): true {
    if (this.done) return true;
    this.done = true;
    // Each failure here in the byte relay's words, the upstream named by the relay that reads the
    // translation (a translation is not told it): no event at all is a stream cut off before its
    // end marker, unless the marker came (then, as chunks without a choice alone, a stream with no
    // answer in it, as a whole body with none is: core/holds-no-answer.ts, not an empty answer);
    // an answer cut before its finish, its marker missing too. A dialect with no marker is told
    // how far its answer got instead (core/stream-ended-early.ts `ENDED_EARLY`). Asked once, at
    // the end.
    const noEndMarker = this.writer.noEndMarker === true;
    if (!this.started && !marked) throw new StreamEndedEarly(earlyEnd(noEndMarker, false));
    if (!this.started || this.upstreamEvents === 0) throw noAnswerFrom();
    if (!marked && !this.writer.complete) throw new StreamEndedEarly(earlyEnd(noEndMarker, true));
    for (const written of this.writer.finish(this.recordEstimate())) out.push(written);
    return true;
  }

  /**
   * What a whole stream whose upstream reported no usage is told and charged, recorded as its
   * usage (so the record says the same): only with a prompt to estimate and a record to keep it.
   */
  private recordEstimate(): Usage | undefined {
    const { prompt, onUsage } = this;
    if (this.reported || !prompt || !onUsage) return undefined;
    const usage = estimatedStreamUsage(prompt, this.upstreamEvents);
    onUsage(usage);
    return usage;
  }

  /** A failure after the stream started, as the events this stream ends with then. */
  failureEvents(error: GatewayError): SseEvent[] {
    return this.writer.error(error);
  }
}
