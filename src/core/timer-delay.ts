/** The longest delay `setTimeout` holds: a 32-bit signed integer of milliseconds (about 24.8 days). */
export const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * A delay as a timer can take it. A longer one (a 30-day bound) fires after 1 ms in Bun, as in
 * Node, with a `TimeoutOverflowWarning` on stderr: a timer that looks again when it fires (and
 * finds its deadline not yet come) is armed for the longest it can wait instead.
 */
export const timerDelay = (ms: number): number => Math.min(ms, LONGEST_TIMER_MS);
