import { encodeSse, type SseEvent } from "../core/sse.ts";

/** The most of a streamed answer kept for the audit log; the rest is marked as cut. */
export const MAX_CAPTURED_STREAM = 256 * 1024;

/**
 * Passes a stream through while keeping a copy of its wire text for the audit log, bounded
 * so a long generation cannot grow memory. `keep` receives the text when the stream ends.
 */
export async function* captureEvents(
  events: AsyncIterable<SseEvent>,
  keep: (text: string) => void,
  limit = MAX_CAPTURED_STREAM,
): AsyncGenerator<SseEvent> {
  let text = "";
  let cut = false;
  try {
    for await (const event of events) {
      if (!cut) {
        text += encodeSse(event);
        if (text.length > limit) {
          text = `${text.slice(0, limit)}\n[cut at ${limit} characters]`;
          cut = true;
        }
      }
      yield event;
    }
  } finally {
    keep(text);
  }
}
