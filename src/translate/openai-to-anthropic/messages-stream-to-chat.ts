import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { anthropicStreamEvent } from "../anthropic-schema.ts";
import { openAIErrorEnvelope } from "../error-mapping.ts";
import { parseEventData } from "../parse-body.ts";
import { ChatChunkWriter } from "./chat-chunk-writer.ts";

/** What the stream translator needs beyond the events. */
export interface MessagesStreamToChatOptions {
  /** The model name the client asked for, echoed in every chunk. */
  requestedModel: string;
  /** The caller's `stream_options.include_usage`: add the final `choices: []` usage chunk. */
  includeUsage: boolean;
  /** Unix seconds for `created`; defaults to now. */
  created?: number;
}

/**
 * Anthropic Messages stream events → OpenAI `chat.completion.chunk` events ending in `[DONE]`,
 * one upstream event at a time. Failures before the first chunk is produced are thrown (the
 * router may still retry); after that they become OpenAI's in-stream `{"error":...}` event.
 */
export async function* messagesStreamToChat(
  events: AsyncIterable<SseEvent>,
  options: MessagesStreamToChatOptions,
): AsyncGenerator<SseEvent> {
  const writer = new ChatChunkWriter(options.requestedModel, options.includeUsage, options.created);
  let stopped = false;
  try {
    for await (const event of events) {
      const parsed = anthropicStreamEvent.safeParse(parseEventData(event.data));
      if (!parsed.success) {
        if (event.event === "ping") continue;
        throw upstreamError("upstream sent an unreadable stream event");
      }
      const data = parsed.data;
      if (data.type === "error") {
        const message = `upstream error: ${data.error.message}`;
        if (!writer.started) throw upstreamError(message);
        yield errorEvent(data.error.type, data.error.message);
        return;
      }
      yield* writer.event(data);
      if (data.type === "message_stop") {
        stopped = true;
        break;
      }
    }
  } catch (error) {
    // A GatewayError keeps travelling: the front door writes it as OpenAI's error chunk and the
    // audit row keeps its class (`upstream_timeout`, `client_closed`, ...).
    if (!writer.started || error instanceof GatewayError) throw error;
    yield errorEvent("api_error", "upstream stream failed");
    return;
  }
  if (!stopped) {
    if (!writer.started) throw upstreamError("upstream stream ended before any event");
    yield errorEvent("api_error", "upstream stream ended before the answer was complete");
    return;
  }
  yield { data: "[DONE]" };
}

/** OpenAI reports a failure inside a stream as a bare `data: {"error":{...}}` event. */
function errorEvent(type: string, message: string): SseEvent {
  return { data: JSON.stringify(openAIErrorEnvelope(type, message)) };
}
