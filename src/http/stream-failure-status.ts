import type { ChunkSource } from "../core/chunk-source.ts";
import type { StreamWire } from "../core/error-wire.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { upstreamErrorIn } from "../routing/stream-end.ts";
import { wireStatus } from "./error-body.ts";

/**
 * The status a stream that ended in `error` told its caller, for its record: the one its error event
 * stands for, as a failure before the first byte would have been answered (error-body.ts
 * `wireStatus`), not the gateway's 502 for any upstream failure. An upstream's overload is
 * Anthropic's 529 to a Messages caller and OpenAI's 503 to the others, an upstream's own 5xx of the
 * caller's dialect its own status, of another dialect the gateway's 502 (OpenAI's `server_error` is
 * 500 to a chat or Responses caller, 502 to a Messages caller: stream-failure-status-across.test.ts). An error event the stream relayed or its translation wrote
 * (`ChunkSource.reported`) is read for it (routing/stream-end.ts `upstreamErrorIn`): once, at the
 * stream's end, and only a failed one's. A client gone is 499.
 */
export function streamFailureStatus(error: GatewayError, chunks: ChunkSource, wire: StreamWire): number {
  if (error.status === 499) return 499;
  const event = error === chunks.reported ? chunks.reportedEvent : undefined;
  const said = event === undefined ? error : upstreamErrorIn(event, error);
  return wireStatus(said, wire === "responses" ? "openai" : wire);
}
