import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { Usage } from "../../core/usage.ts";
import { type EventTranslation, StreamTranslation } from "./stream-translation.ts";

/** One upstream event, read (and parsed) exactly once. */
export type StreamRead<C> =
  | { readonly kind: "chunk"; readonly chunk: C; readonly usage?: Usage; readonly last?: boolean }
  /** Keep-alives and events with no counterpart on the other side. */
  | { readonly kind: "skip" }
  /** The upstream's end marker (`[DONE]`). */
  | { readonly kind: "end" }
  /** The upstream reported a failure inside the stream. */
  | { readonly kind: "error"; readonly error: GatewayError };

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
  finish(): Iterable<SseEvent>;
  /** A failure after the stream started, as this stream's own error event. */
  error(error: GatewayError): SseEvent;
}

/** A stream in the caller's dialect, and how that stream reports a failure once started. */
export interface TranslatedStream {
  readonly events: AsyncIterable<SseEvent>;
  readonly errorEvent: (error: GatewayError) => SseEvent;
  /**
   * The loop under `events`, and the events it reads: a relay that has those events' reads in
   * hand may run the translation over each read itself (routing/translated-relay.ts) and never
   * start `events`.
   */
  readonly translation: EventTranslation;
  readonly source: AsyncIterable<SseEvent>;
}

/**
 * A stream translated event by event (`StreamTranslation`, the one loop), for a source of events:
 * a provider that yields events (Bedrock, Gemini, the mock, an embedder's), or a translation of a
 * translation. Failures are thrown as `StreamTranslation` throws them.
 */
export function translateStream<C>(
  events: AsyncIterable<SseEvent>,
  read: StreamReader<C>,
  writer: StreamWriter<C>,
  onUsage?: (usage: Usage) => void,
): TranslatedStream {
  const translation = new StreamTranslation(read, writer, onUsage);
  return {
    events: drive(events, translation),
    errorEvent: (error) => translation.errorEvent(error),
    translation,
    source: events,
  };
}

async function* drive<C>(
  events: AsyncIterable<SseEvent>,
  translation: StreamTranslation<C>,
): AsyncGenerator<SseEvent> {
  const out: SseEvent[] = [];
  try {
    for await (const event of events) {
      const ended = translation.take(event, out);
      yield* handOut(out);
      if (ended) return;
    }
  } catch (error) {
    // The events written before the failure go out first, as they did one at a time.
    yield* handOut(out);
    throw error instanceof GatewayError ? error : upstreamError("upstream stream failed");
  }
  translation.end(out);
  yield* handOut(out);
}

/** The events written so far, the list emptied for the next. */
function* handOut(out: SseEvent[]): Generator<SseEvent> {
  for (let i = 0; i < out.length; i++) yield out[i] as SseEvent;
  out.length = 0;
}
