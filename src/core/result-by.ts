import { timerDelay } from "./timer-delay.ts";

/** What `resultBy` gives for work that had not settled by its time. */
export const LATE = Symbol("late");

/**
 * What `work` settled with before `until` (a `performance.now()` time; without one, it is waited
 * for), or `LATE`; it is left running if late, its rejection then handled here, never unhandled.
 * `holdsProcess` false: the wait's timer never keeps a stopping process (or thread) alive, for a
 * wait whose caller is dropped by then; a stop that waits for it (the audit writer's last
 * writes) must keep it.
 */
export async function resultBy<T>(
  work: Promise<T>,
  until: number | undefined,
  holdsProcess = true,
): Promise<T | typeof LATE> {
  if (until === undefined) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), timerDelay(Math.max(0, until - performance.now())));
    if (!holdsProcess) timer.unref();
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `work` settled before `until` (see `resultBy`). */
export const settledBy = async (work: Promise<void>, until: number | undefined): Promise<boolean> =>
  (await resultBy(work, until)) !== LATE;
