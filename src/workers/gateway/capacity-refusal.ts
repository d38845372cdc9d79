import { GatewayError } from "../../core/gateway-error.ts";

/**
 * A worker's busy refusal: 503 `unavailable`, which the router fails over without counting it
 * against the route's breaker, and the client told when to come back.
 */
const busy = (message: string, retryAfterS: number) =>
  new GatewayError({
    status: 503,
    code: "unavailable",
    message,
    retryable: true,
    headers: { "retry-after": String(retryAfterS) },
  });

/** Every worker (or the one named) is busy: retried elsewhere; a slot frees when a request ends, so in a second. */
export const capacityRefusal = (message: string) => busy(message, 1);

/**
 * Seconds a caller refused by draining workers is told to wait. A draining worker takes nothing
 * new, and the model is back when another worker serving it registers: at a restart, once the
 * drained one has stopped (up to its `--drain-timeout`, 30 s by default) and the new one has
 * started. One second would spend an SDK's retries (two, by default) before any could have come.
 */
export const DRAINING_RETRY_AFTER_S = 5;

/** Every worker (or the one named) is draining: retried elsewhere, the client told to come back in a few seconds. */
export const drainingRefusal = (message: string) => busy(message, DRAINING_RETRY_AFTER_S);
