/**
 * Which request a half-open breaker let through as its probe, from `admit`: the request hands it
 * back with its verdict (`succeeded`, `failed`, `released`), so only the probe's own outcome closes
 * or re-opens the breaker, not that of a request sent before the breaker opened which ends while
 * the probe is in flight. A number, not an object: a request on a closed breaker, nearly every
 * one, carries `NO_PROBE` and costs nothing more.
 */
export type Probe = number;

/** What `admit` gives every request that is not a half-open breaker's probe. */
export const NO_PROBE: Probe = 0;

/**
 * Probes let through so far, every route's and every `RouteHealth`'s: the next one's token is one
 * more. One counter, not one per route state: a state dropped and made again would count from 1
 * again and take an old in-flight probe's verdict for its own.
 */
let probesIssued = 0;

/** A new probe's token, never one given before. */
export function nextProbe(): Probe {
  return ++probesIssued;
}
