/**
 * The timestamps of the last `capacity` requests in a ring: exact sliding-window counting in
 * O(1) per request and no allocation after the first (a ring of `limit` numbers per key).
 */
export class RequestLog {
  private ring: Float64Array;
  private head = 0;
  private size = 0;

  constructor(
    capacity: number,
    private readonly windowMs: number,
  ) {
    this.ring = new Float64Array(Math.max(1, capacity));
  }

  /** See CounterStore.takeRequest. */
  take(limit: number, now: number): number {
    if (limit !== this.ring.length) this.resize(limit);
    this.prune(now);
    if (this.size >= limit) return Math.max(1, (this.ring[this.head] ?? now) + this.windowMs - now);
    this.ring[(this.head + this.size) % this.ring.length] = now;
    this.size++;
    return 0;
  }

  used(now: number): number {
    this.prune(now);
    return this.size;
  }

  resetMs(now: number): number {
    this.prune(now);
    if (this.size === 0) return 0;
    const newest = this.ring[(this.head + this.size - 1) % this.ring.length] ?? now;
    return newest + this.windowMs - now;
  }

  private prune(now: number): void {
    const cutoff = now - this.windowMs;
    while (this.size > 0 && (this.ring[this.head] ?? 0) <= cutoff) {
      this.head = (this.head + 1) % this.ring.length;
      this.size--;
    }
  }

  /** A key's rpm changed: keep the newest entries that still fit. */
  private resize(capacity: number): void {
    const next = new Float64Array(Math.max(1, capacity));
    const keep = Math.min(this.size, next.length);
    for (let i = 0; i < keep; i++) {
      next[i] = this.ring[(this.head + this.size - keep + i) % this.ring.length] ?? 0;
    }
    this.ring = next;
    this.head = 0;
    this.size = keep;
  }
}
