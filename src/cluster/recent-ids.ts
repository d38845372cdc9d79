import { monotonicClock } from "../core/steady-clock.ts";

/**
 * The ids seen within the last `windowMs`: a message published again within it (a genuine one,
 * copied by whoever can publish on the Redis server) is known by its id. Past the window its seal
 * refuses it (json-seal.ts), so an id is kept no longer.
 */
export class RecentIds {
  /** Each id and when it is forgotten: in the order noted, so in that of their ends. */
  private readonly until = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly now: () => number = monotonicClock,
  ) {}

  /** Whether `id` was not seen within the window (it is noted from now); false for one that was. */
  first(id: string): boolean {
    const now = this.now();
    for (const [noted, until] of this.until) {
      if (until > now) break;
      this.until.delete(noted);
    }
    if (this.until.has(id)) return false;
    this.until.set(id, now + this.windowMs);
    return true;
  }
}
