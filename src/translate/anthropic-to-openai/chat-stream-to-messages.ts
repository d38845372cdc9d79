import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { anthropicErrorTypeForStatus } from "../error-mapping.ts";
import { openAIChunk, openAIErrorBody } from "../openai-schema.ts";
import { parseEventData } from "../parse-body.ts";
import { MessagesStreamWriter } from "./messages-stream-writer.ts";

/** What the stream translator needs beyond the events. */
export interface ChatStreamToMessagesOptions {
  /** The model name the client asked for; Anthropic clients see it back in `message_start`. */
  requestedModel: string;
}

/**
 * OpenAI `chat.completion.chunk` events → the Anthropic Messages event sequence, one upstream
 * event at a time (nothing is collected). Failures before the first event is produced are
 * thrown, so the router may still retry or fail over; after that they become an `error` event
 * and the stream ends, as Anthropic's own API does.
 */
export async function* chatStreamToMessages(
  events: AsyncIterable<SseEvent>,
  options: ChatStreamToMessagesOptions,
): AsyncGenerator<SseEvent> {
  const writer = new MessagesStreamWriter(options.requestedModel);
  try {
    for await (const event of events) {
      if (event.data === "[DONE]") break;
      const body = parseEventData(event.data);
      const failure = openAIErrorBody.safeParse(body);
      if (failure.success || event.event === "error") {
        const message = failure.data?.error.message ?? "upstream reported an error";
        if (!writer.started) throw upstreamError(`upstream error: ${message}`);
        yield writer.error("api_error", message);
        return;
      }
      const chunk = openAIChunk.safeParse(body);
      if (!chunk.success) throw upstreamError("upstream sent an unreadable stream chunk");
      yield* writer.chunk(chunk.data);
    }
  } catch (error) {
    if (!writer.started) throw error;
    const status = error instanceof GatewayError ? error.status : 502;
    const message = error instanceof GatewayError ? error.message : "upstream stream failed";
    yield writer.error(anthropicErrorTypeForStatus(status), message);
    return;
  }
  if (!writer.finishReasonSeen) {
    if (!writer.started) throw upstreamError("upstream stream ended before any event");
    yield writer.error("api_error", "upstream stream ended before the answer was complete");
    return;
  }
  yield* writer.finish();
}
