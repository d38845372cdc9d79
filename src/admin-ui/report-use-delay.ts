/**
 * Use no call of the page's carries is reported on its own this long after the last call that did:
 * half the minute the gateway stores last use by (its `USED_AT_STEP_MS`). The use it stored can be
 * up to that minute older than the page's last marked call, and the session ends
 * `session_idle_timeout` (2 min at the least) after the use stored, so it is open at least a minute
 * after the page's last marked call, whose clock this counts from, not the gateway's.
 */
const REPORT_USE_EVERY_MS = 30_000;
/** …and no sooner than this after the use: a click that loads something carries the mark itself… */
const REPORT_USE_AFTER_MS = 3_000;
/** …but never later than this after the last marked call: the rest of that minute is the trip's. */
const REPORT_USE_BY_MS = 45_000;

/**
 * How long after a use at `now` to report it, the last call that carried use being at
 * `lastMarkedAt` (the page's clock); a use past `REPORT_USE_BY_MS` is reported at once. Never
 * marked (no call yet since the page opened): 3 s after the use.
 */
export function reportUseDelay(lastMarkedAt: number, now: number): number {
  if (lastMarkedAt === Number.NEGATIVE_INFINITY) return REPORT_USE_AFTER_MS;
  const due = Math.max(now + REPORT_USE_AFTER_MS, lastMarkedAt + REPORT_USE_EVERY_MS);
  return Math.max(0, Math.min(due, lastMarkedAt + REPORT_USE_BY_MS) - now);
}
