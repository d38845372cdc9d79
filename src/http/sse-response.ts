import type { Dialect } from "../core/dialect.ts";
import { errorEvent } from "../core/error-wire.ts";
import { clientClosed, type GatewayError, toGatewayError, upstreamError } from "../core/gateway-error.ts";
import { encodeSse, type SseEvent } from "../core/sse.ts";

/** Called once: with no error when the stream completed, else how it ended. */
export type StreamEnd = (error?: GatewayError) => void;

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

/** A failure the stream reports itself: `event: error` (Anthropic, Responses) or OpenAI's error chunk. */
const OPENAI_ERROR_CHUNK = /^\s*\{\s*"error"\s*:/;
const reportsError = (event: SseEvent) => event.event === "error" || OPENAI_ERROR_CHUNK.test(event.data);

/**
 * Relays events to the client as they arrive, pulled one at a time so a slow client slows
 * the upstream read instead of filling memory. A failure after the first byte becomes an
 * error event in the caller's dialect; a client that goes away cancels the upstream.
 */
export function sseResponse(
  events: AsyncIterable<SseEvent>,
  dialect: Dialect,
  headers: Record<string, string>,
  onFirstByte: () => void,
  onEnd: StreamEnd,
  /** How a translated stream reports a failure (the Responses writer numbers its own). */
  errorEventOf: (error: GatewayError) => SseEvent = (error) => errorEvent(error, dialect),
): Response {
  const iterator = events[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let ended = false;
  // An error event relayed mid-stream still leaves HTTP 200; the record must say it failed.
  let reported: GatewayError | undefined;
  const end = (error?: GatewayError) => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const next = await iterator.next();
        if (next.done) {
          controller.close();
          end(reported);
          return;
        }
        if (!reported && reportsError(next.value))
          reported = upstreamError("the stream ended with an error event");
        controller.enqueue(encoder.encode(encodeSse(next.value)));
        onFirstByte();
      } catch (error) {
        const failure = toGatewayError(error);
        if (failure.code === "client_closed") {
          end(failure);
          controller.error(failure);
          return;
        }
        controller.enqueue(encoder.encode(encodeSse(errorEventOf(failure))));
        controller.close();
        end(failure);
      }
    },
    cancel() {
      end(clientClosed());
      void iterator.return?.();
    },
  });
  return new Response(body, { status: 200, headers: { ...headers, ...SSE_HEADERS } });
}
