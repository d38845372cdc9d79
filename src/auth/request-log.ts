import type { WindowLog } from "./subject-logs.ts";

/**
 * The timestamps of recent requests in a ring, oldest first: exact sliding-window counting
 * in O(1) per request. The ring grows (doubling) only as requests actually arrive, up to
 * the limit, so a huge rpm costs memory in proportion to real traffic, not to the limit.
 */
export class RequestLog implements WindowLog {
  private ring = new Float64Array(8);
  private head = 0;
  private size = 0;

  constructor(private readonly windowMs: number) {}

  /** See CounterStore.takeRequest. */
  take(limit: number, now: number): number {
    this.prune(now);
    // Past a limit lowered below what the window holds, a slot frees once all but limit - 1 have
    // left: when the entry `limit` from the newest leaves (the oldest, at the limit). Every entry is
    // kept, as Redis keeps them (cluster/admit-script.ts): a limit raised again counts them all.
    if (this.size >= limit) {
      const freeing = this.ring[(this.head + this.size - limit) % this.ring.length] ?? now;
      return Math.max(1, freeing + this.windowMs - now);
    }
    if (this.size === this.ring.length) this.grow(Math.min(limit, this.ring.length * 2));
    this.ring[(this.head + this.size) % this.ring.length] = now;
    this.size++;
    return 0;
  }

  used(now: number): number {
    this.prune(now);
    return this.size;
  }

  isEmpty(now: number): boolean {
    return this.used(now) === 0;
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

  private grow(capacity: number): void {
    const next = new Float64Array(Math.max(capacity, this.ring.length));
    for (let i = 0; i < this.size; i++) next[i] = this.ring[(this.head + i) % this.ring.length] ?? 0;
    this.ring = next;
    this.head = 0;
  }
}
