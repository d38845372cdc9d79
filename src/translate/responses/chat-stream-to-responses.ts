import type { JsonObject } from "../../core/dialect.ts";
import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { chatChunks } from "../chat-chunks.ts";
import { ResponsesStreamWriter } from "./responses-stream-writer.ts";

/** What the Responses stream translator needs beyond the events. */
export interface ChatStreamToResponsesOptions {
  /** The caller's Responses request, echoed in the `response` envelope. */
  request: JsonObject;
  /** The response id (`resp_…`) the gateway will store the result under. */
  id: string;
  /** Unix seconds for `created_at`; defaults to now. */
  createdAt?: number;
  /** Receives the final `response` object (completed or incomplete), e.g. to store it. */
  onResponse?: (response: JsonObject) => void;
}

/**
 * chat.completion.chunk events → Responses streaming events (`event: <type>` with `type` and
 * `sequence_number` in the data), one upstream event at a time. Failures before the first event
 * is produced are thrown so the router can still fail over; afterwards they become an `error`
 * event and the stream ends.
 */
export async function* chatStreamToResponses(
  events: AsyncIterable<SseEvent>,
  options: ChatStreamToResponsesOptions,
): AsyncGenerator<SseEvent> {
  const writer = new ResponsesStreamWriter(options.id, options.request, options.createdAt);
  try {
    for await (const item of chatChunks(events)) {
      if (item.kind === "error") {
        if (!writer.started) throw upstreamError(`upstream error: ${item.message}`);
        yield writer.error("server_error", item.message);
        return;
      }
      yield* writer.chunk(item.chunk);
    }
  } catch (error) {
    if (!writer.started) throw error;
    const message = error instanceof GatewayError ? error.message : "upstream stream failed";
    yield writer.error(error instanceof GatewayError ? error.code : "server_error", message);
    return;
  }
  if (!writer.finishReasonSeen) {
    if (!writer.started) throw upstreamError("upstream stream ended before any event");
    yield writer.error("server_error", "upstream stream ended before the answer was complete");
    return;
  }
  const { events: last, response } = writer.finish();
  // Stored before `response.completed` leaves: a client may chain on it the moment it reads it.
  options.onResponse?.(response);
  yield* last;
}
