/**
 * The latency figure `strategy: latency` ranks routes by (RouteHealth.latencyRank): an
 * exponentially weighted average of the time to a route's first byte, kept in its RouteState.
 */

/** A latency average with `sampleMs` taken in: the first sample as it is, then each weighing 0.2. */
export const withSample = (averageMs: number, sampleMs: number): number =>
  averageMs === 0 ? sampleMs : averageMs * 0.8 + sampleMs * 0.2;

/**
 * The average after an attempt that waited `waitedMs` and was ended by its connect or first-byte
 * bound, no byte come: taken in as an answer then, the route's latency at least that long. Without
 * it a route that began to hang kept the figure of its last answer and stayed first under `latency`
 * for every request until its breaker opened, five bounds (120 s each by default) later. It only
 * raises the figure: a bound shorter than the route's average proves nothing faster, and taken as
 * an answer then it moved a route that could not connect ahead of one that answers.
 */
export const afterTimeout = (averageMs: number, waitedMs: number): number =>
  Math.max(averageMs, withSample(averageMs, waitedMs));
