import { LATE, resultBy } from "./result-by.ts";

/**
 * Why `loadedWithin` rejected when the load itself did not: it was still under way at the limit.
 * A caller tells it from the load's own failure, which leaves nothing to wait for.
 */
export class StillLoading extends Error {
  override readonly name = "StillLoading";
}

/**
 * Settles as `loading`, or rejects with `late` (a `StillLoading`) once `ms` have passed without it:
 * a load that never settles (an `import()` that hangs) must not hold what waits behind it for good.
 * What `loading` does after is no one's: its rejection then is handled, never unhandled. Its timer
 * never keeps a stopping process (or thread) alive: what waits for the load is dropped by then.
 */
export async function loadedWithin(loading: Promise<void>, ms: number, late: string): Promise<void> {
  if ((await resultBy(loading, performance.now() + ms, false)) === LATE) throw new StillLoading(late);
}
