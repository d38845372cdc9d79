import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import { SseDecoder, type SseEvent } from "../../core/sse.ts";
import type { ProviderCall } from "../provider.ts";
import { namedFailure, upstreamName } from "../upstream-name.ts";
import type { ByteFeed } from "./streamed-answer.ts";

/** Cuts a body's reads into events (SSE lines, Bedrock's binary frames); throws a GatewayError on bytes it cannot read. */
export interface EventDecoder {
  push(chunk: Uint8Array): SseEvent[];
  /** The body ended: a last event not yet closed, or the reason the body is not whole thrown. */
  end(): SseEvent[];
}

/**
 * An upstream's event stream, still its body: iterated, its events decoded as they arrive (the
 * `upstreamEvents` generator below); or read by the router itself a read at a time, each read's
 * events translated together into one chunk for the client (routing/translated-relay.ts). Its
 * events are SSE; a body of another framing says so with its own `decoder` (Bedrock's BedrockEvents).
 */
export class UpstreamEvents implements AsyncIterable<SseEvent> {
  constructor(
    /** Names the upstream in error messages. */
    readonly provider: string,
    /** The body's reads: a `ReadableStream`'s reader, or the lean client's feed. */
    readonly body: ByteFeed,
    /** The call's signal, read only once the events are iterated (an attempt makes one only then). */
    private readonly call: Pick<ProviderCall, "signal">,
    readonly maxSseLine: number,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    return upstreamEvents(this.provider, this.body, this.call.signal, this.decoder());
  }

  /** A decoder for this body's events, one a reading of it. */
  decoder(): EventDecoder {
    return new SseDecoder(this.maxSseLine);
  }
}

/**
 * Decodes an upstream event stream. A connection that breaks mid-body (reset, truncated
 * chunking) surfaces as a fetch-level error; it becomes a retryable 502 in our vocabulary,
 * or the abort reason when we are the ones who ended it. A reader that stops early (a `return`)
 * closes the body. A decoder, not a translation loop: the events stay in the upstream's dialect
 * (translate/stream/stream-translation.ts translates).
 */
async function* upstreamEvents(
  provider: string,
  body: ByteFeed,
  signal: AbortSignal,
  decoder: EventDecoder,
): AsyncGenerator<SseEvent> {
  // One generator for decoding and error mapping: every layer of async generator costs a
  // promise per event on the streaming hot path.
  let ended = false;
  try {
    for (let read = await body.readMany(); !read.done; read = await body.readMany()) {
      for (const chunk of read.value) for (const event of decoder.push(chunk)) yield event;
    }
    ended = true;
    for (const event of decoder.end()) yield event;
  } catch (error) {
    ended = true;
    body.cancel().catch(() => {});
    if (error instanceof GatewayError) throw namedFailure(error, provider);
    if (signal.aborted) throw signal.reason;
    throw upstreamError(`${upstreamName(provider)} closed the connection mid-stream`);
  } finally {
    if (!ended) body.cancel().catch(() => {});
  }
}
