import { LONGEST_TIMER_MS } from "./timer-delay.ts";

/**
 * Runs `then` once `ms` have passed, unless the cancel it returns runs first. Passed in where a
 * test moves time by hand (testing/fake-clock.ts) rather than waiting it out.
 */
export type After = (ms: number, then: () => void) => () => void;

/**
 * `After` on the process's own timers. `unref`: a timer waiting never holds the process open (a log
 * line's, say, that nothing is lost without). A wait a timer holds is one `setTimeout`, no closure
 * but the cancel (a shadow copy's timeout takes one per copy); one past the longest a timer holds (a
 * bound of 30 days; core/timer-delay.ts) is made in steps, each looking again how long is left:
 * never early.
 */
export function afterTimeout(options: { unref?: boolean } = {}): After {
  const unref = options.unref === true;
  return (ms, then) => {
    if (ms > LONGEST_TIMER_MS) return inSteps(ms, then, unref);
    const timer = setTimeout(then, ms);
    if (unref) timer.unref();
    return () => clearTimeout(timer);
  };
}

/** A wait past `LONGEST_TIMER_MS`: timers of the longest, until what is left fits one. */
function inSteps(ms: number, then: () => void, unref: boolean): () => void {
  const due = performance.now() + ms;
  let timer: ReturnType<typeof setTimeout>;
  const arm = (left: number) => {
    timer = left > LONGEST_TIMER_MS ? setTimeout(lookAgain, LONGEST_TIMER_MS) : setTimeout(then, left);
    if (unref) timer.unref();
  };
  const lookAgain = () => arm(Math.max(0, due - performance.now()));
  arm(ms);
  return () => clearTimeout(timer);
}
