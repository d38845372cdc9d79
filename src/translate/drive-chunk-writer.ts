import { upstreamError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";

/** Turns one vendor's stream events into chat chunks; `finish` closes a complete answer. */
export interface ChunkWriter<E> {
  event(event: E): Iterable<SseEvent>;
  /** True once the vendor said the answer is complete. */
  readonly stopped: boolean;
  finish(): Iterable<SseEvent>;
}

/**
 * Drives a writer over a vendor stream: every event translated as it arrives, the closing
 * chunks once the stream ends, and a stream that ends before the vendor said it was complete
 * reported as the upstream failure it is (never as a clean `[DONE]`).
 */
export async function* driveChunkWriter<E>(
  events: AsyncIterable<E>,
  writer: ChunkWriter<E>,
): AsyncGenerator<SseEvent> {
  for await (const event of events) yield* writer.event(event);
  if (!writer.stopped) throw upstreamError("upstream stream ended before the answer was complete");
  yield* writer.finish();
}
