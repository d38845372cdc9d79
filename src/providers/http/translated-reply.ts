import type { SseEvent } from "../../core/sse.ts";
import { translateStream } from "../../translate/stream/stream-driver.ts";
import type {
  EventTranslation,
  StreamReader,
  StreamWriter,
} from "../../translate/stream/stream-translation.ts";
import type { ProviderReply, UsageRecorder } from "../provider.ts";
import { UpstreamEvents } from "./upstream-events.ts";

/**
 * A built-in provider's stream translated into its dialect (Bedrock, Gemini speak OpenAI chat to
 * the router) while still its upstream's body: iterated, its events come one at a time (the async
 * driver); or the router, which looks for this class as it looks for `UpstreamEvents`
 * (routing/attempt-answer.ts), reads the body itself and runs the same translation over each read,
 * one write per read (routing/translated-relay.ts). Whichever the router takes, the other is never
 * started. An embedder's provider never meets it: its events are relayed an event at a time.
 */
export class TranslatedEvents implements AsyncIterable<SseEvent> {
  constructor(
    /** The body still to read. */
    readonly upstream: UpstreamEvents,
    /** The provider's translation of the body's events, the one `events` runs. */
    readonly translation: EventTranslation,
    private readonly events: AsyncIterable<SseEvent>,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    return this.events[Symbol.asyncIterator]();
  }
}

/**
 * A provider's stream translated into its dialect: `TranslatedEvents` when it is still the
 * upstream's body. Each usage figure its reader finds goes to `meter` as it is read.
 */
export function translatedReply<C>(
  events: AsyncIterable<SseEvent>,
  read: StreamReader<C>,
  writer: StreamWriter<C>,
  meter?: UsageRecorder,
): ProviderReply {
  const translated = translateStream(
    events,
    read,
    writer,
    meter && ((usage, model) => meter.record(usage, model)),
  );
  if (!(events instanceof UpstreamEvents)) return { kind: "stream", events: translated.events };
  return { kind: "stream", events: new TranslatedEvents(events, translated.translation, translated.events) };
}
