import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { chatChunks } from "../chat-chunks.ts";
import { MessagesStreamWriter } from "./messages-stream-writer.ts";

/** What the stream translator needs beyond the events. */
export interface ChatStreamToMessagesOptions {
  /** The model name the client asked for; Anthropic clients see it back in `message_start`. */
  requestedModel: string;
}

/**
 * OpenAI `chat.completion.chunk` events → the Anthropic Messages event sequence, one upstream
 * event at a time (nothing is collected). Failures before the first event is produced are
 * thrown, so the router may still retry or fail over; after that an upstream's in-band error
 * becomes an `error` event and the stream ends, as Anthropic's own API does, while a thrown
 * GatewayError is rethrown for the front door to report in the caller's dialect.
 */
export async function* chatStreamToMessages(
  events: AsyncIterable<SseEvent>,
  options: ChatStreamToMessagesOptions,
): AsyncGenerator<SseEvent> {
  const writer = new MessagesStreamWriter(options.requestedModel);
  try {
    for await (const item of chatChunks(events)) {
      if (item.kind === "error") {
        if (!writer.started) throw upstreamError(`upstream error: ${item.message}`);
        yield writer.error("api_error", item.message);
        return;
      }
      yield* writer.chunk(item.chunk);
    }
  } catch (error) {
    // A GatewayError keeps travelling: the front door writes it as the Anthropic `error` event
    // and the audit row keeps its class (`worker_lost`, `upstream_timeout`, ...).
    if (!writer.started || error instanceof GatewayError) throw error;
    yield writer.error("api_error", "upstream stream failed");
    return;
  }
  if (!writer.finishReasonSeen) {
    if (!writer.started) throw upstreamError("upstream stream ended before any event");
    yield writer.error("api_error", "upstream stream ended before the answer was complete");
    return;
  }
  yield* writer.finish();
}
