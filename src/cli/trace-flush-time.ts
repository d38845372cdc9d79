import { timerDelay } from "../core/timer-delay.ts";

/**
 * The least a stop's last trace flush is given: a stop that used the whole drain (a request that
 * ran to `server.drain_timeout`) would leave it none, and every span still buffered would be given
 * up though the collector answers at once.
 */
export const TRACE_FLUSH_FLOOR_MS = 1_000;

/**
 * How long a stop's last trace flush may wait: what is left of `drainMs` once the stop took
 * `stoppedInMs`, at least `TRACE_FLUSH_FLOOR_MS`. Bounded: never more than the drain itself (or
 * the floor), so a collector that hangs holds the exit at most that long past the stop.
 */
export const traceFlushTime = (drainMs: number, stoppedInMs: number): number =>
  timerDelay(Math.max(TRACE_FLUSH_FLOOR_MS, drainMs - stoppedInMs));
