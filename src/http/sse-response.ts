import type { ChunkSource } from "../core/chunk-source.ts";
import type { Dialect } from "../core/dialect.ts";
import { errorEvent } from "../core/error-wire.ts";
import { clientClosed, type GatewayError, toGatewayError } from "../core/gateway-error.ts";
import { encodeSse, type SseEvent } from "../core/sse.ts";

/** Called once: with no error when the stream completed, else how it ended. */
export type StreamEnd = (error?: GatewayError) => void;

// `x-accel-buffering: no` tells nginx (and proxies that follow it) to pass events on as they come.
const SSE_HEADERS = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  "x-accel-buffering": "no",
};
const encoder = new TextEncoder();

/**
 * Relays a stream to the client one pull at a time — one write per upstream read on the
 * same-dialect path — so a slow client slows the upstream read instead of filling memory. A
 * failure after the first byte becomes an error event in the caller's dialect; a client that
 * goes away cancels the upstream.
 */
export function sseResponse(
  chunks: ChunkSource,
  dialect: Dialect,
  headers: Record<string, string>,
  onFirstByte: () => void,
  onEnd: StreamEnd,
  /** How a translated stream reports a failure (the Responses writer numbers its own). */
  errorEventOf: (error: GatewayError) => SseEvent = (error) => errorEvent(error, dialect),
): Response {
  let ended = false;
  const end = (error?: GatewayError) => {
    if (ended) return;
    ended = true;
    onEnd(error);
  };
  // A direct stream (Bun's): each chunk is written to the response as it comes, with no queue,
  // controller promise or pull per chunk as a standard ReadableStream has; awaiting each write
  // and its flush keeps a slow client slowing the upstream read.
  const source: Bun.DirectUnderlyingSource<Uint8Array> = {
    type: "direct",
    async pull(controller) {
      let first = true;
      // Bun writes the head when `pull` first waits: bytes already in hand are written before
      // that, so the head and the first token leave in one write (one syscall, one wake of the
      // client) instead of two.
      let ready = chunks.ready?.();
      while (!ended) {
        let chunk: Uint8Array | undefined = ready;
        ready = undefined;
        try {
          chunk ??= await chunks.next();
        } catch (error) {
          const failure = toGatewayError(error);
          if (failure.code === "client_closed" || ended) {
            end(failure);
            chunks.cancel();
            return;
          }
          controller.write(encoder.encode(encodeSse(errorEventOf(failure))));
          controller.close();
          end(failure);
          return;
        }
        if (!chunk) {
          controller.close();
          // An error event relayed mid-stream still leaves HTTP 200; the record must say it failed.
          end(chunks.reported);
          return;
        }
        try {
          const written = controller.write(chunk);
          if (first) {
            first = false;
            onFirstByte();
          }
          await written;
          await controller.flush();
        } catch {
          // The client went away while the chunk was being written.
          end(clientClosed());
          chunks.cancel();
          return;
        }
      }
    },
    cancel() {
      end(clientClosed());
      chunks.cancel();
    },
  };
  // The DOM library's constructor type (tsconfig `lib`) hides Bun's overload for a direct source.
  const body = new ReadableStream(source as unknown as UnderlyingDefaultSource<Uint8Array>);
  return new Response(body, { status: 200, headers: { ...headers, ...SSE_HEADERS } });
}
