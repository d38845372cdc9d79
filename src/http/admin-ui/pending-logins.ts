/**
 * Single sign-on attempts between the redirect to the provider and its callback: each is taken
 * at most once, forgotten after `ttlMs`, and there are never more than `max` (oldest dropped).
 */
export class PendingLogins<T> {
  private readonly entries = new Map<string, { value: T; until: number }>();

  constructor(
    private readonly ttlMs: number,
    private readonly max = 1000,
    private readonly now: () => number = Date.now,
  ) {}

  put(key: string, value: T): void {
    const now = this.now();
    for (const [k, entry] of this.entries) if (entry.until <= now) this.entries.delete(k);
    while (this.entries.size >= this.max) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
    this.entries.set(key, { value, until: now + this.ttlMs });
  }

  take(key: string): T | undefined {
    const entry = this.entries.get(key);
    this.entries.delete(key);
    return entry && entry.until > this.now() ? entry.value : undefined;
  }
}
