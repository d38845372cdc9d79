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
 * Seconds a caller is told to wait for each reason no worker takes a call (the refusal's
 * `Retry-After`), as soon as it may be over: a full worker frees a slot when any of its requests
 * ends, a draining one's model is back once another worker registers, and a model no worker serves
 * may never be.
 */
const WAIT_S: Readonly<Record<NoWorker, number>> = {
  full: Number(CAPACITY_RETRY_AFTER),
  draining: DRAINING_RETRY_AFTER_S,
  not_served: Number.POSITIVE_INFINITY,
};

/**
 * Seconds a refusal tells its caller to wait (`Retry-After`), the measure of how soon it may be
 * over; never, where it says no time: no worker serving the model, a node unreachable, a worker's
 * model server failing without one. Read from the header, so another node's refusal, which carries
 * it but not its class (forward-over-http.ts `refusal`), is judged as this node's.
 */
const waitOf = (refusal: unknown): number => {
  const seconds = refusal instanceof GatewayError ? Number(refusal.headers["retry-after"]) : Number.NaN;
  return Number.isFinite(seconds) ? seconds : Number.POSITIVE_INFINITY;
};

/** Of `a` and `b`, `b` only when its wait is shorter. */
const sooner = <T>(a: T, b: T, wait: (it: T) => number): T => (wait(b) < wait(a) ? b : a);

/**
 * Of two reasons no worker takes a call (two workers', or this node's workers' and other nodes'),
 * the one the caller is told: the sooner over, so that its retry comes when a worker may take it.
 */
export const soonerOver = (a: NoWorker, b: NoWorker): NoWorker => sooner(a, b, (why) => WAIT_S[why]);

/**
 * Of the refusal held and the next one (each node refusing a forward in turn), the one the caller
 * is told should every one refuse, by the same measure as `soonerOver`: a full node's (1 s) over a
 * draining one's (5 s) over one that says no time (no worker serving it, a node unreachable, a
 * worker's server failing), whatever the order they came in; the next, between equals.
 */
export const soonerRefusal = (held: unknown, next: unknown): unknown => sooner(next, held, waitOf);
