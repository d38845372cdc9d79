import { GatewayError, unavailable } from "../core/gateway-error.ts";
import type { Refusal } from "./lifecycle.ts";

/**
 * What a request refused while the gateway drains (a stop's SIGTERM) is told of coming back: after
 * `Retry-After: 5` seconds, `x-should-retry: true` (as Anthropic's own 529s say it; the SDKs retry a
 * 503 anyway, and obey the header over the status), on a new connection (`Connection: close`:
 * its kept-alive one leads back to this node). Five seconds: long enough for a load balancer to
 * see `/readyz` turn 503 and send the retry to another node (the shipped Kubernetes probe reads it
 * every 5 s, deploy/kubernetes/gateway.yaml, so an SDK's default two retries span the 10 s its
 * `failureThreshold: 2` takes), short enough that every SDK waits it out as told (none takes a
 * wait past 60 s: core/stated-delay.ts `SDK_LONGEST_WAIT_MS`), and what a model only draining
 * workers serve says too (workers/gateway/capacity-refusal.ts `DRAINING_RETRY_AFTER_S`).
 */
const DRAINING_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  "retry-after": "5",
  "x-should-retry": "true",
  connection: "close",
});

/**
 * What a request still in flight at a stop's drain deadline is ended with: a call whose answer has
 * not begun is told to come back as a request refused while draining is (`DRAINING_HEADERS`); a
 * stream under way gets it as its error event.
 */
export const drainDeadlineError = (): GatewayError =>
  unavailable("the gateway is shutting down: drain deadline passed").with({
    headers: { ...DRAINING_HEADERS },
  });

/**
 * The 503 for a request the lifecycle turned away. At capacity the answer says so, with a
 * short `Retry-After`: a client that waits a moment usually finds a free slot. Draining, when and
 * where to come back (`DRAINING_HEADERS`).
 */
export function refusalError(refusal: Refusal, limit: number): GatewayError {
  if (refusal === "draining")
    return unavailable("the gateway is shutting down").with({ headers: { ...DRAINING_HEADERS } });
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
