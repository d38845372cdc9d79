/**
 * Runs `then` once `ms` have passed, unless the cancel it returns runs first. Passed in where a
 * test moves time by hand (testing/fake-clock.ts) rather than waiting it out.
 */
export type After = (ms: number, then: () => void) => () => void;

/** `After` on the process's own timers. */
export const afterTimeout: After = (ms, then) => {
  const timer = setTimeout(then, ms);
  return () => clearTimeout(timer);
};
