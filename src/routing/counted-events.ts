import type { SseEvent } from "../core/sse.ts";
import { isAnswerEvent } from "./answer-event.ts";

/**
 * A provider's events (the mock's, an embedder's) counted as its translation into the caller's
 * dialect reads them, but the end marker and a chunk of usage alone (answer-event.ts): the
 * upstream's events (`ChunkSource.upstreamEvents`), where the stream's reader sees only what the
 * translation wrote (routing/event-chunks.ts). Made only for such a stream: an HTTP upstream's
 * events are counted by the relay that reads them.
 */
export class CountedEvents implements AsyncIterable<SseEvent> {
  read = 0;

  constructor(private readonly events: AsyncIterable<SseEvent>) {}

  async *[Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    for await (const event of this.events) {
      if (isAnswerEvent(event)) this.read++;
      yield event;
    }
  }
}
