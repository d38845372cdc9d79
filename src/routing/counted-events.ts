import type { SseEvent } from "../core/sse.ts";
import { isAnswerEvent } from "./answer-event.ts";

/** What hears that the upstream is alive: the attempt, whose idle bound counts from its last event. */
export interface SignsOfLife {
  rearm(): void;
}

/**
 * A provider's events (the mock's, an embedder's) as its translation into the caller's dialect
 * reads them: counted, but the end marker and a chunk of usage alone (answer-event.ts), as the
 * upstream's events (`ChunkSource.upstreamEvents`), where the stream's reader sees only what the
 * translation wrote (routing/event-chunks.ts); and each one a sign of life (`alive`), as each read
 * is to the translated relay, so that events the translation writes nothing for (Anthropic's
 * `ping`) keep the idle bound from cutting a stream that is still coming. Made only for such a
 * stream: an HTTP upstream's events are counted, and keep it alive, by the relay that reads them.
 */
export class CountedEvents implements AsyncIterable<SseEvent> {
  read = 0;

  constructor(
    private readonly events: AsyncIterable<SseEvent>,
    private readonly alive?: SignsOfLife,
  ) {}

  async *[Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    const alive = this.alive;
    for await (const event of this.events) {
      alive?.rearm();
      if (isAnswerEvent(event)) this.read++;
      yield event;
    }
  }
}
