/** What `within` gives for work that had not settled by its time. */
export const LATE = Symbol("late");

/**
 * What `work` settled with before `until` (a `performance.now()` time; without one, it is waited
 * for), or `LATE`; it is left running if late.
 */
export async function within<T>(work: Promise<T>, until: number | undefined): Promise<T | typeof LATE> {
  if (until === undefined) return work;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), Math.max(0, until - performance.now()));
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** Whether `work` settled before `until` (see `within`). */
export const settledWithin = async (work: Promise<void>, until: number | undefined): Promise<boolean> =>
  (await within(work, until)) !== LATE;
