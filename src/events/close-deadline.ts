import { raceAbort } from "../core/race-abort.ts";
import { timerDelay } from "../core/timer-delay.ts";

/**
 * When a sink's close gives up on what it has not delivered: at its own bound, or at the stop's
 * `until` (a `performance.now()` time: event-sink.ts) if that comes first, so that it lets go of
 * the rest, and says so, before the stop cuts it unsaid (stop-steps.ts `giveUpBy`). `signal`
 * aborts then: what the sink has in flight listens to it (a webhook's POST and its backoff).
 */
export class CloseDeadline {
  private readonly givenUp = new AbortController();
  private timer: ReturnType<typeof setTimeout> | null = null;
  readonly signal: AbortSignal = this.givenUp.signal;

  /** Starts the count: `ownMs` from now (no bound of its own when absent), or `until` if sooner. */
  arm(until: number | undefined, ownMs = Number.POSITIVE_INFINITY): void {
    const untilMs = until === undefined ? Number.POSITIVE_INFINITY : Math.max(0, until - performance.now());
    const ms = Math.min(ownMs, untilMs);
    if (ms === Number.POSITIVE_INFINITY) return;
    this.timer = setTimeout(() => this.givenUp.abort(), timerDelay(ms));
  }

  /** The close finished in time: nothing is given up. */
  disarm(): void {
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Waits for `work`, or for the deadline if that comes first (`work` then goes on unwaited). */
  async within(work: Promise<void>): Promise<void> {
    await raceAbort(work, this.signal, "resolve");
  }

  /** Waits `ms` (a retry's backoff), or until the deadline if that comes first; no timer is left behind. */
  async wait(ms: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    await raceAbort(
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, ms);
      }),
      this.signal,
      "resolve",
    );
    clearTimeout(timer);
  }
}
