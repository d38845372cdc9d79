import type { ReservedSQL, SQL } from "bun";

/**
 * Past the bound, how long a cancelled statement may take to say whether it ran: the cancel is
 * one round trip on a connection of its own, so a live server answers well within this.
 */
export const CANCEL_GRACE_MS = 500;

/** A cut call that did not say how it ended within the grace. */
export class NoAnswer extends Error {
  constructor(
    /** True when what went unanswered had reached the server and could still apply. */
    readonly mayHaveApplied: boolean,
    cause?: unknown,
  ) {
    super("no answer to the cancel within the grace", cause === undefined ? undefined : { cause });
  }
}

/**
 * One store call's bound, counted from the call: what it stops when it passes follows the call
 * (the wait for a connection, then the statement). A plain timer, cleared when the call ends
 * (`AbortSignal.timeout` cannot be, and each would live the whole bound).
 */
export class CallDeadline {
  passed = false;
  /** Set when the deadline found the call still waiting for a connection of the pool. */
  waitedForPool = false;
  private readonly timer: Timer | undefined;
  private stop: (() => void) | undefined;

  constructor(boundMs: number | undefined) {
    if (boundMs !== undefined) this.timer = setTimeout(() => this.pass(), boundMs);
  }

  clear(): void {
    clearTimeout(this.timer);
  }

  /** A connection of the pool's own; waiting for one stops at the deadline. */
  reserve(sql: SQL): Promise<ReservedSQL> {
    if (this.timer === undefined) return sql.reserve();
    const waiting = new AbortController();
    this.stop = () => {
      this.waitedForPool = true;
      waiting.abort();
    };
    return sql.reserve({ signal: waiting.signal });
  }

  /**
   * `work`'s outcome. At the deadline `stop` is called; then `work` has `CANCEL_GRACE_MS` more
   * to settle, else `NoAnswer` — unless `stop` says only the answer can tell (a COMMIT under way).
   */
  settle<T>(
    work: Promise<T>,
    stop: () => "wait for the answer" | undefined,
    mayHaveApplied: boolean,
  ): Promise<T> {
    if (this.timer === undefined) return work;
    return new Promise<T>((resolve, reject) => {
      let grace: Timer | undefined;
      this.stop = () => {
        if (stop() !== "wait for the answer")
          grace = setTimeout(() => reject(new NoAnswer(mayHaveApplied)), CANCEL_GRACE_MS);
      };
      if (this.passed) this.stop();
      work.then(
        (value) => {
          clearTimeout(grace);
          resolve(value);
        },
        (error: unknown) => {
          clearTimeout(grace);
          reject(error);
        },
      );
    });
  }

  private pass(): void {
    this.passed = true;
    this.stop?.();
  }
}
