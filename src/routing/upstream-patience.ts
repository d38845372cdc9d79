import type { AttemptTimeouts } from "../providers/provider.ts";

/**
 * How long the routes to each upstream model wait for it, phase by phase: the longest bounds of
 * every configured route whose health is kept under the same key (`provider/model`; `provider/*`
 * for the routes that send the client's name on, which may reach any model of the provider).
 *
 * Routes to one upstream model share one breaker, whatever their own timeouts. A timeout of a
 * bound shorter than another route's for the same wait says the upstream was slower than that
 * route allows, not that it is down: counted, a model entry with a 1 s `first_byte` would open the
 * breaker of one with 10 minutes, which the upstream never kept waiting past its bound.
 */
export class UpstreamPatience {
  private readonly longest = new Map<string, AttemptTimeouts>();

  /** A configured route to `key` waits `timeouts`. */
  add(key: string, timeouts: AttemptTimeouts): void {
    this.longest.set(key, longerOf(timeouts, this.longest.get(key)));
  }

  /** `timeouts`, lengthened where a route counted under `key` waits longer (the same object when none does). */
  widen(key: string, timeouts: AttemptTimeouts): AttemptTimeouts {
    return longerOf(timeouts, this.longest.get(key));
  }
}

/** Each phase's longer bound of the two; `a` itself when it is at least as long in each. */
function longerOf(a: AttemptTimeouts, b: AttemptTimeouts | undefined): AttemptTimeouts {
  if (
    b === undefined ||
    (b.connectMs <= a.connectMs && b.firstByteMs <= a.firstByteMs && b.idleMs <= a.idleMs)
  )
    return a;
  return {
    connectMs: Math.max(a.connectMs, b.connectMs),
    firstByteMs: Math.max(a.firstByteMs, b.firstByteMs),
    idleMs: Math.max(a.idleMs, b.idleMs),
  };
}
