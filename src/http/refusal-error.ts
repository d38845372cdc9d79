import { GatewayError, unavailable } from "../core/gateway-error.ts";
import type { Refusal } from "./lifecycle.ts";

/**
 * The 503 for a request the lifecycle turned away. At capacity the answer says so, with a
 * short `Retry-After`: a client that waits a moment usually finds a free slot.
 */
export function refusalError(refusal: Refusal, limit: number): GatewayError {
  if (refusal === "draining") return unavailable("the gateway is shutting down");
  return new GatewayError({
    status: 503,
    code: "over_capacity",
    message: `the gateway is serving its limit of ${limit} requests at once (server.max_concurrent_requests); try again shortly`,
    retryable: true,
    headers: { "retry-after": "1" },
  });
}

/**
 * The 503 for a live event stream past `server.max_event_streams`. Streams stay open for hours,
 * so a slot seldom frees within a second: `Retry-After` is longer than a request's.
 */
export function eventStreamsFullError(limit: number): GatewayError {
  return new GatewayError({
    status: 503,
    code: "over_capacity",
    message: `the gateway is serving its limit of ${limit} live event streams at once (server.max_event_streams); try again later`,
    retryable: true,
    headers: { "retry-after": "5" },
  });
}
