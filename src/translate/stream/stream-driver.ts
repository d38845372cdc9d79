import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import type { Usage } from "../../core/usage.ts";

/** One upstream event, read (and parsed) exactly once. */
export type StreamRead<C> =
  | { readonly kind: "chunk"; readonly chunk: C; readonly usage?: Usage; readonly last?: boolean }
  /** Keep-alives and events with no counterpart on the other side. */
  | { readonly kind: "skip" }
  /** The upstream's end marker (`[DONE]`). */
  | { readonly kind: "end" }
  /** The upstream reported a failure inside the stream. */
  | { readonly kind: "error"; readonly error: GatewayError };

/** Reads one upstream event of the source dialect. Throws a GatewayError on one it cannot read. */
export type StreamReader<C> = (event: SseEvent) => StreamRead<C>;

/**
 * Writes the caller's dialect. The driver calls `start` once with the first chunk, `chunk` for
 * each chunk (the first included), then either `finish` (the upstream completed the answer) or,
 * through the front door, `error` (it failed after the first event).
 */
export interface StreamWriter<C> {
  start(first: C): Iterable<SseEvent>;
  chunk(chunk: C): Iterable<SseEvent>;
  /** True once the upstream said the answer is whole (a finish reason, `message_stop`). */
  readonly complete: boolean;
  finish(): Iterable<SseEvent>;
  /** A failure after the stream started, as this stream's own error event. */
  error(error: GatewayError): SseEvent;
}

/** A stream in the caller's dialect, and how that stream reports a failure once started. */
export interface TranslatedStream {
  readonly events: AsyncIterable<SseEvent>;
  readonly errorEvent: (error: GatewayError) => SseEvent;
}

/**
 * The one stream-translation loop. Every failure — an in-band upstream error, an unreadable
 * event, a stream cut short, a lost worker, a timeout — is thrown as a GatewayError with its
 * own class: before the first event the router may still retry or fail over; after it the
 * front door writes `errorEvent(error)` and the audit row keeps the class, the same way on
 * every dialect pair.
 */
export function translateStream<C>(
  events: AsyncIterable<SseEvent>,
  read: StreamReader<C>,
  writer: StreamWriter<C>,
  onUsage?: (usage: Usage) => void,
): TranslatedStream {
  return { events: drive(events, read, writer, onUsage), errorEvent: (error) => writer.error(error) };
}

async function* drive<C>(
  events: AsyncIterable<SseEvent>,
  read: StreamReader<C>,
  writer: StreamWriter<C>,
  onUsage: ((usage: Usage) => void) | undefined,
): AsyncGenerator<SseEvent> {
  let started = false;
  try {
    for await (const event of events) {
      const item = read(event);
      if (item.kind === "skip") continue;
      if (item.kind === "end") break;
      if (item.kind === "error") throw item.error;
      if (item.usage) onUsage?.(item.usage);
      if (!started) {
        started = true;
        yield* writer.start(item.chunk);
      }
      yield* writer.chunk(item.chunk);
      if (item.last) break;
    }
  } catch (error) {
    throw error instanceof GatewayError ? error : upstreamError("upstream stream failed");
  }
  if (!started) throw upstreamError("upstream stream ended before any event");
  if (!writer.complete) throw upstreamError("upstream stream ended before the answer was complete");
  yield* writer.finish();
}
