import type { JsonObject } from "../../core/dialect.ts";
import { type GatewayError, providerFailure } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import {
  type EventTranslation,
  type StreamReader,
  StreamTranslation,
  type StreamWriter,
  type UsageSeen,
} from "./stream-translation.ts";

/** A stream in the caller's dialect, and the events it ends with when it fails once started. */
export interface TranslatedStream {
  readonly events: AsyncIterable<SseEvent>;
  readonly failureEvents: (error: GatewayError) => SseEvent[];
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
  onUsage?: UsageSeen,
  /** The caller's request: its prompt estimated, and told, should the upstream report no usage. */
  prompt?: JsonObject,
): TranslatedStream {
  const translation = new StreamTranslation(read, writer, onUsage, prompt);
  return {
    events: drive(events, translation),
    failureEvents: (error) => translation.failureEvents(error),
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
    throw providerFailure(error, "upstream stream failed");
  }
  translation.end(out);
  yield* handOut(out);
}

/** The events written so far, the list emptied for the next. */
function* handOut(out: SseEvent[]): Generator<SseEvent> {
  for (let i = 0; i < out.length; i++) yield out[i] as SseEvent;
  out.length = 0;
}
