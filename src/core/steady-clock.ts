/** Read once: the process's start never moves (and a getter a read would cost on the request path). */
const ORIGIN = performance.timeOrigin;

/**
 * Epoch milliseconds that an NTP step of the wall clock never moves: the wall time at the process's
 * start, advanced by the monotonic clock. For spans measured across a step (a minute's window, a
 * cooldown, a directory entry's order); not for dates (a budget's UTC day, a price's), which are the
 * wall clock's. It keeps 0 for "never": `performance.now()` alone starts near 0 at every start, so
 * "0 ms ago" would read as "just now".
 */
export const steadyClock = (): number => ORIGIN + performance.now();

/**
 * The monotonic clock, ms from the process's start: for spans alone (a backoff, a cooldown, a
 * heartbeat's silence), which an NTP step of the wall clock would stretch or make negative. The
 * fallback of every `now` option a test may replace.
 */
export const monotonicClock = (): number => performance.now();
