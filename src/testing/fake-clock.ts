import type { After } from "../core/after.ts";

/**
 * A clock the test moves (`advance`), whose timers (`after`) run as it passes them, each at its
 * own time and, due at once, in the order they were set, as the process's timers run.
 */
export function fakeClock(start = 0) {
  let now = start;
  let timers: { at: number; then: () => void }[] = [];
  const after: After = (ms, then) => {
    const timer = { at: now + ms, then };
    timers.push(timer);
    return () => {
      timers = timers.filter((t) => t !== timer);
    };
  };
  return {
    now: () => now,
    after,
    advance(ms: number) {
      const until = now + ms;
      for (;;) {
        // Sorting is stable: timers due at the same time keep the order they were set in.
        const next = timers.filter((t) => t.at <= until).sort((a, b) => a.at - b.at)[0];
        if (next === undefined) break;
        timers = timers.filter((t) => t !== next);
        now = next.at;
        next.then();
      }
      now = until;
    },
    pending: () => timers.length,
  };
}
