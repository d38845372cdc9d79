/** A per-subject count over a sliding window, which can say that nothing is left in it. */
export interface WindowLog {
  /** True when nothing counted is still in the window ending at `now`: the log may go. */
  isEmpty(now: number): boolean;
}

/** Subjects held before the first sweep: a config's keys and tenants are far fewer. */
const FIRST_SWEEP = 1024;

/**
 * Windowed logs by subject (an API key id, a JWT subject, a tenant), let go once their window is
 * empty: keys rotated or revoked and JWT subjects come and go, and each log costs a few hundred
 * bytes. A new subject sweeps the table when it has doubled since the last sweep, so a sweep is
 * paid for by the subjects added since (O(1) amortised per new subject), and a request of a
 * known subject costs nothing more. The survivors go into a new Map rather than the gone being
 * deleted from the old one: an old Map keeps what is deleted from it through young collections
 * (core/key-table.ts). An empty log says nothing a new one would not, so limits stay exact.
 */
export class SubjectLogs<T extends WindowLog> {
  private logs = new Map<string, T>();
  private sweepAt = FIRST_SWEEP;

  constructor(private readonly make: () => T) {}

  /** Subjects held (for tests). */
  get size(): number {
    return this.logs.size;
  }

  get(subject: string): T | undefined {
    return this.logs.get(subject);
  }

  /** The subject's log, made (after a sweep, when one is due) if it has none. */
  take(subject: string, now: number): T {
    let log = this.logs.get(subject);
    if (log === undefined) {
      if (this.logs.size >= this.sweepAt) this.sweep(now);
      log = this.make();
      this.logs.set(subject, log);
    }
    return log;
  }

  private sweep(now: number): void {
    const kept = new Map<string, T>();
    for (const [subject, log] of this.logs) if (!log.isEmpty(now)) kept.set(subject, log);
    this.logs = kept;
    this.sweepAt = Math.max(FIRST_SWEEP, kept.size * 2);
  }
}
