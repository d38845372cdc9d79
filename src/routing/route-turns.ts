/**
 * 1 in this many requests of a `latency` entry goes first to a route slower than the fastest (in
 * turn): one slow answer (a cold start, a busy minute) would otherwise leave a route's figure as it
 * was for good, never tried again while another answers.
 */
export const EXPLORE_EVERY = 20;

/**
 * A `models:` entry's turns among its routes, made at load for `least-busy` and `latency` entries
 * (and kept by a glob entry's per-name plans). The entry's own: a count shared by every model
 * would hand two models whose requests alternate the same turn each time.
 */
export class RouteTurns {
  private at = 0;
  private requests = 0;

  /** The route index that goes first among equals this time, of `count` routes; the next call's is the one after. */
  take(count: number): number {
    const start = this.at % count;
    this.at = start + 1;
    return start;
  }

  /**
   * Counts a request of a `latency` entry: on every `EXPLORE_EVERY`th, which of the `slower`
   * routes (0: the second fastest) goes first, in turn; else -1.
   */
  explores(slower: number): number {
    this.requests = (this.requests + 1) % EXPLORE_EVERY;
    return this.requests === 0 ? this.take(slower) : -1;
  }
}
