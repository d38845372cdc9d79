import type { WindowLog } from "./subject-logs.ts";

/**
 * Tokens used over a sliding window kept as one-second buckets in a ring. Counting is exact;
 * the window edge is one bucket wide, so usage may be held up to one second longer than
 * the window. Allocation-free after construction.
 */
export class TokenLog implements WindowLog {
  private readonly amounts: Float64Array;
  private readonly stamps: Float64Array;
  private readonly buckets: number;
  /** The latest second anything was added in. */
  private newest = Number.NEGATIVE_INFINITY;

  constructor(
    windowMs: number,
    private readonly bucketMs = 1000,
  ) {
    this.buckets = Math.max(1, Math.ceil(windowMs / bucketMs));
    this.amounts = new Float64Array(this.buckets);
    this.stamps = new Float64Array(this.buckets).fill(-1);
  }

  add(tokens: number, now: number): void {
    const tick = Math.floor(now / this.bucketMs);
    const i = tick % this.buckets;
    if (this.stamps[i] !== tick) {
      this.stamps[i] = tick;
      this.amounts[i] = 0;
    }
    this.amounts[i] = (this.amounts[i] ?? 0) + tokens;
    if (tick > this.newest) this.newest = tick;
  }

  isEmpty(now: number): boolean {
    return this.newest <= Math.floor(now / this.bucketMs) - this.buckets;
  }

  used(now: number): number {
    const tick = Math.floor(now / this.bucketMs);
    let total = 0;
    for (let i = 0; i < this.buckets; i++) {
      if ((this.stamps[i] ?? -1) > tick - this.buckets) total += this.amounts[i] ?? 0;
    }
    return total;
  }

  /** Walks buckets oldest first until usage drops below `limit`; returns when that happens. */
  freeInMs(limit: number, now: number): number {
    const tick = Math.floor(now / this.bucketMs);
    let remaining = this.used(now);
    for (let k = 1; k <= this.buckets && remaining >= limit; k++) {
      const stamp = tick - this.buckets + k;
      const i = stamp % this.buckets;
      if (this.stamps[i] !== stamp) continue;
      remaining -= this.amounts[i] ?? 0;
      if (remaining < limit) return Math.max(1, (stamp + this.buckets) * this.bucketMs - now);
    }
    return 0;
  }

  resetMs(now: number): number {
    const tick = Math.floor(now / this.bucketMs);
    for (let k = 0; k < this.buckets; k++) {
      const stamp = tick - k;
      if (this.stamps[stamp % this.buckets] === stamp && (this.amounts[stamp % this.buckets] ?? 0) > 0) {
        return (stamp + this.buckets) * this.bucketMs - now;
      }
    }
    return 0;
  }
}
