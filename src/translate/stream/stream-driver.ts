import type { JsonObject } from "../../core/dialect.ts";
import { type GatewayError, providerFailure } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { ChainedTranslation } from "./chained-translation.ts";
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
    events: new DrivenEvents(events, translation),
    failureEvents: (error) => translation.failureEvents(error),
    translation,
    source: events,
  };
}

/**
 * A translated stream's events, driven a pull at a time over its source once iterated: what a
 * second translation reads when one is translated again (a caller's custom tools, a compaction
 * through chat). It names its loop and source, so a relay that reads the first's source itself runs
 * both loops as one chain over each read (routing/attempt-answer.ts), never this driver.
 */
export class DrivenEvents implements AsyncIterable<SseEvent> {
  constructor(
    readonly source: AsyncIterable<SseEvent>,
    readonly translation: StreamTranslation<unknown>,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    return drive(this.source, this.translation);
  }
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

/**
 * The loop that reads `upstream` and writes what `stream` says, as one synchronous translation: the
 * stream's own when it reads `upstream` itself; chained after the loop it reads the events of, when
 * that one's are read from `upstream` (a translation translated again), as deep as they go.
 * Undefined when `upstream` is not under it (a source the gateway does not drive: a provider's
 * async generator, as the Mistral prefix wrapper's).
 */
export function loopOver(
  stream: TranslatedStream,
  upstream: AsyncIterable<SseEvent>,
): EventTranslation | undefined {
  return chainOver(stream.source, stream.translation, upstream);
}

function chainOver(
  source: AsyncIterable<SseEvent>,
  translation: EventTranslation,
  upstream: AsyncIterable<SseEvent>,
): EventTranslation | undefined {
  if (source === upstream) return translation;
  if (!(source instanceof DrivenEvents)) return undefined;
  const first = chainOver(source.source, source.translation, upstream);
  return first && new ChainedTranslation(first, translation);
}
