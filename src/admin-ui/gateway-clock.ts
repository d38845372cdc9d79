/**
 * The gateway's wall clock as the page can tell it: times the gateway stamps (a worker's connect
 * and last heartbeat) are counted from its "now", not the page's, which may be minutes off (a
 * laptop's clock, a host whose NTP is off). Read from the `Date` header of each of its answers.
 */

/** A `Date` header has whole seconds: skews below this cannot be told from its rounding. */
const UNTELLABLE_MS = 1500;

/** How far the gateway's clock is ahead of the page's (negative: behind), as last read. */
let offsetMs = 0;

/**
 * Notes an answer's `Date` header, received at `receivedAt` (the page's clock). The header is cut to
 * its second, so its second's middle stands for it; an offset within that rounding is taken as none,
 * so that figures on a clock in step do not jitter by a second from one answer to the next. For the
 * same reason a reading within that rounding of the offset held keeps it: each answer's own cut
 * would otherwise move a skewed page's figures back and forth by a second or two.
 */
export function noteGatewayDate(date: string | null, receivedAt: number): void {
  if (date === null) return;
  const at = Date.parse(date);
  if (Number.isNaN(at)) return;
  const offset = at + 500 - receivedAt;
  if (Math.abs(offset - offsetMs) < UNTELLABLE_MS) return;
  offsetMs = Math.abs(offset) < UNTELLABLE_MS ? 0 : offset;
}

/** Now on the gateway's clock, as well as its answers tell it (epoch ms). */
export const gatewayNow = (): number => Date.now() + offsetMs;
