import { GatewayError, type GatewayErrorInit } from "../../core/gateway-error.ts";
import { retryAfterSeconds, statedDelayMs } from "../../core/stated-delay.ts";
import type { NoWorker } from "./no-worker.ts";

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

/**
 * Another node's busy wait (a peer link's `error.retryAfter`, an HTTP forward's `Retry-After`) as
 * the gateway tells any wait (core/stated-delay.ts): whole seconds, a day at most. The wire checks
 * no more than that it is text: a negative number, words or `1e3` told as sent would be no wait a
 * client reads, and a negative one ranked soonest over (`soonerRefusal`). Unreadable or absent, a
 * full worker's.
 */
export function busyWait(said: string | null | undefined): string {
  const ms = said ? statedDelayMs({ "retry-after": said }) : undefined;
  return ms === undefined ? CAPACITY_RETRY_AFTER : retryAfterSeconds(ms);
}

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
 * Of two reasons no worker takes a call (two workers', or this node's workers' and other nodes'),
 * the one the caller is told: the sooner over, so that its retry comes when a worker may take it.
 */
export const soonerOver = (a: NoWorker, b: NoWorker): NoWorker => (WAIT_S[b] < WAIT_S[a] ? b : a);

/**
 * How soon each kind of refusal of a forward may be over, in the order the caller is told them:
 * workers busy, full or draining, here or on another node (by the wait they tell, `WAIT_S`'s);
 * gone, a node unreachable or a worker no longer connected (their workers reconnect within their
 * backoff); failing, a worker's model server or anything else (until it recovers, whatever
 * `Retry-After` the server sent: it is no promise of a slot); and a model no worker serves there
 * any more, which may never be over.
 */
const KIND_RANK = { busy: 0, gone: 1, failing: 2, not_served: 3 } as const;

/** A refusal's place in that order: its kind, then, between busy ones, the wait it tells. */
interface RefusalRank {
  readonly kind: (typeof KIND_RANK)[keyof typeof KIND_RANK];
  /** Seconds its `Retry-After` tells the caller to wait; 0 but for a busy one. */
  readonly wait: number;
}

/**
 * Busy is the code `unavailable` with a wait, as `busyRefusal` makes it: read from the code and
 * the header, so another node's refusal, which carries them but not its class (forward-over-http.ts
 * `refusal`), is judged as this node's. Any other `Retry-After` (a model server's 503) is not
 * compared: it says when that server may answer, not when a worker has room.
 */
function rankOf(refusal: unknown): RefusalRank {
  if (!(refusal instanceof GatewayError)) return { kind: KIND_RANK.failing, wait: 0 };
  if (refusal.code === "no_route_available") return { kind: KIND_RANK.not_served, wait: 0 };
  if (refusal.code !== "unavailable") return { kind: KIND_RANK.failing, wait: 0 };
  const wait = Number(refusal.headers["retry-after"]);
  return Number.isFinite(wait) ? { kind: KIND_RANK.busy, wait } : { kind: KIND_RANK.gone, wait: 0 };
}

const before = (a: RefusalRank, b: RefusalRank): boolean =>
  a.kind < b.kind || (a.kind === b.kind && a.wait < b.wait);

/**
 * Of the refusal held (none before the first) and the next one (each node refusing a forward in
 * turn), the one the caller is told should every one refuse: the sooner over, a full node's (1 s)
 * over a draining one's (5 s) over a node gone over a worker's model server failing over the model
 * no longer served there (`KIND_RANK`), whatever order they came in; the next, between two of one
 * kind and wait.
 */
export const soonerRefusal = (held: unknown, next: unknown): unknown =>
  held !== undefined && before(rankOf(held), rankOf(next)) ? held : next;
