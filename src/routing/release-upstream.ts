import { clientClosed, type GatewayError, upstreamError } from "../core/gateway-error.ts";
import type { ByteFeed } from "../providers/http/streamed-answer.ts";
import type { Attempt } from "./attempt.ts";

// What the two relays of an upstream's stream (routing/byte-relay.ts, routing/translated-relay.ts)
// do alike when a read fails and when they close.

/** A read of the upstream's body that failed (or the attempt's end while it waited), as the relay fails. */
export function midStreamFailure(attempt: Attempt, error: unknown, provider: string): GatewayError {
  return attempt.failure(error, upstreamError(`upstream ${provider} closed the connection mid-stream`));
}

/**
 * The relay is over. `finished`: the upstream's body was read to its end, so there is nothing to
 * stop: the attempt is only disarmed (an abort costs an error object and an event, on every
 * request). Else the attempt is aborted and the body's connection closed.
 */
export function releaseUpstream(attempt: Attempt, feed: ByteFeed, finished: boolean): void {
  if (finished) {
    attempt.disarm();
    return;
  }
  attempt.abort(clientClosed());
  feed.cancel().catch(() => {});
}
