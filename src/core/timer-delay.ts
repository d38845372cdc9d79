/** The longest delay `setTimeout` holds: a 32-bit signed integer of milliseconds (about 24.8 days). */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay as a timer can take it. A longer one (a 30-day bound) fires after 1 ms in Bun, as in
 * Node, with a `TimeoutOverflowWarning` on stderr. A timer that looks again when it fires (and
 * finds its deadline not yet come: the deadline list, an attempt's idle timer, `afterTimeout`) is
 * armed for the longest it can wait instead; a one-shot wait (a stop's drain, its steps, a reload's
 * grace) simply ends at that longest, about 24.8 days, where a longer one was written.
 */
export const timerDelay = (ms: number): number => Math.min(ms, LONGEST_TIMER_MS);
