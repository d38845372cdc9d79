import type { Dialect } from "../core/dialect.ts";
import { clientClosed, type GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { encodeSse, type SseEvent } from "../core/sse.ts";
import { errorEvent } from "./error-body.ts";

/** Called once: with no error when the stream completed, else how it ended. */
export type StreamEnd = (error?: GatewayError) => void;

const SSE_HEADERS = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache" };

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
): Response {
  const iterator = events[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let ended = false;
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
          end();
          return;
        }
        controller.enqueue(encoder.encode(encodeSse(next.value)));
        onFirstByte();
      } catch (error) {
        const failure = toGatewayError(error);
        if (failure.code === "client_closed") {
          end(failure);
          controller.error(failure);
          return;
        }
        controller.enqueue(encoder.encode(encodeSse(errorEvent(failure, dialect))));
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
