/**
 * Why `settlesWithin` rejected when the load itself did not: it was still under way at the limit.
 * A caller tells it from the load's own failure, which leaves nothing to wait for.
 */
export class StillLoading extends Error {
  override readonly name = "StillLoading";
}

/**
 * Settles as `loading`, or rejects with `late` (a `StillLoading`) once `ms` have passed without it:
 * a load that never settles (an `import()` that hangs) must not hold what waits behind it for good.
 * What `loading` does after is no one's: its rejection then is handled here, never unhandled.
 */
export function settlesWithin(loading: Promise<void>, ms: number, late: string): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const limit = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StillLoading(late)), ms);
    // Never what keeps a stopping process (or thread) alive: what it waits for is dropped by then.
    timer.unref();
  });
  return Promise.race([loading, limit]).finally(() => clearTimeout(timer));
}
