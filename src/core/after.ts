import { timerDelay } from "./timer-delay.ts";

/**
 * Runs `then` once `ms` have passed, unless the cancel it returns runs first. Passed in where a
 * test moves time by hand (testing/fake-clock.ts) rather than waiting it out.
 */
export type After = (ms: number, then: () => void) => () => void;

/**
 * `After` on the process's own timers. `unref`: a timer waiting never holds the process open (a log
 * line's, say, that nothing is lost without).
 */
export function afterTimeout(options: { unref?: boolean } = {}): After {
  return (ms, then) => {
    const timer = setTimeout(then, timerDelay(ms));
    if (options.unref) timer.unref();
    return () => clearTimeout(timer);
  };
}
