import { GatewayError, type GatewayErrorInit } from "../../core/gateway-error.ts";
import type { NoWorker } from "./worker-registry.ts";

/** A busy refusal's fields: 503 `unavailable`, to come back to after `retryAfter` seconds. */
const busyInit = (message: string, retryAfter: string): GatewayErrorInit => ({
  status: 503,
  code: "unavailable",
  message,
  retryable: true,
  headers: { "retry-after": retryAfter },
});

/**
 * A worker's busy refusal: 503 `unavailable`, which the router fails over without counting it
 * against the route's breaker, and the client told when to come back (`Retry-After`, as another
 * node said it where the refusal is that node's).
 */
export const busyRefusal = (message: string, retryAfter: string) =>
  new GatewayError(busyInit(message, retryAfter));

/** A slot frees when any of a full worker's requests ends: come back in a second. */
export const CAPACITY_RETRY_AFTER = "1";

/** A refusal of workers that are full: they take calls again as soon as a slot frees. */
class CapacityRefusal extends GatewayError {}

/** Every worker (or the one named) is busy: retried elsewhere; a slot frees when a request ends, so in a second. */
export const capacityRefusal = (message: string): GatewayError =>
  new CapacityRefusal(busyInit(message, CAPACITY_RETRY_AFTER));

/**
 * Whether a refusal says the workers are only full (`capacityRefusal`), still there to take the
 * call once a slot frees: not draining, which take nothing new, nor gone (`Provider.onlyBusy`).
 */
export const onlyBusy = (refusal: GatewayError): boolean => refusal instanceof CapacityRefusal;

/**
 * Seconds a caller refused by draining workers is told to wait. A draining worker takes nothing
 * new, and the model is back when another worker serving it registers: at a restart, once the
 * drained one has stopped (up to its `--drain-timeout`, 30 s by default) and the new one has
 * started. One second would spend an SDK's retries (two, by default) before any could have come.
 */
export const DRAINING_RETRY_AFTER_S = 5;

/** Every worker (or the one named) is draining: retried elsewhere, the client told to come back in a few seconds. */
export const drainingRefusal = (message: string) => busyRefusal(message, String(DRAINING_RETRY_AFTER_S));

/**
 * How soon each reason no worker takes a call may be over: a full worker frees a slot when any of
 * its requests ends, a draining one's model is back once another worker registers, and a model no
 * worker serves may never be.
 */
const HOPE: Readonly<Record<NoWorker, number>> = { full: 2, draining: 1, not_served: 0 };

/**
 * Of two reasons no worker takes a call (two workers', or this node's workers' and other nodes'),
 * the one the caller is told: the sooner over, so that its retry comes when a worker may take it.
 */
export const soonerOver = (a: NoWorker, b: NoWorker): NoWorker => (HOPE[b] > HOPE[a] ? b : a);
