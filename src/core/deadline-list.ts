import { timerDelay } from "./timer-delay.ts";

/**
 * One entry in a `DeadlineList`: the list's links live on the entry itself, so adding and
 * removing one makes nothing (no timer, no node, no closure).
 */
export abstract class Deadlined {
  /** When it expires, on the list's clock. */
  dueAt = 0;
  /** Its neighbours while listed (older, newer). */
  older: Deadlined | undefined = undefined;
  newer: Deadlined | undefined = undefined;
  listed = false;

  /** The deadline passed while it was still listed. */
  abstract expire(): void;
}

/**
 * Deadlines that all run the same delay, on one timer: since every entry waits as long, they
 * expire in the order they were added, so the list is a FIFO and the timer only ever waits for
 * its oldest entry. An entry that settles in time leaves at once (`remove` unlinks it from
 * wherever it is), so nothing settled is held until its deadline. Replaces a `setTimeout` and a
 * `clearTimeout` per entry (a request body read, 30 s) with one timer that is re-armed about
 * once per delay. The timer is unref'd: a pending deadline alone does not keep the process up.
 */
export class DeadlineList {
  private oldest: Deadlined | undefined;
  private newest: Deadlined | undefined;
  private timer: ListTimer | undefined;
  private count = 0;
  /** `fire` is expiring entries: an entry added by one's `expire` must not arm the timer (see `fire`). */
  private firing = false;

  constructor(
    readonly delayMs: number,
    private readonly now: () => number = performance.now.bind(performance),
    private readonly setTimer: ArmTimer = setTimeout,
  ) {}

  /** Entries listed now (settled ones have left). */
  get size(): number {
    return this.count;
  }

  /**
   * `entry` expires `delayMs` from now unless removed first; from `nowMs` when the caller read
   * the list's clock a moment ago (an attempt's start: no second read for the same instant).
   */
  add(entry: Deadlined, nowMs: number = this.now()): void {
    entry.dueAt = nowMs + this.delayMs;
    entry.older = this.newest;
    entry.newer = undefined;
    entry.listed = true;
    if (this.newest) this.newest.newer = entry;
    else this.oldest = entry;
    this.newest = entry;
    this.count++;
    if (this.timer === undefined && !this.firing) this.arm(this.delayMs);
  }

  /** `entry` settled: it leaves the list now (nothing when it has left already). */
  remove(entry: Deadlined): void {
    if (!entry.listed) return;
    entry.listed = false;
    const { older, newer } = entry;
    if (older) older.newer = newer;
    else this.oldest = newer;
    if (newer) newer.older = older;
    else this.newest = older;
    entry.older = undefined;
    entry.newer = undefined;
    this.count--;
  }

  /**
   * The timer fired: every entry past its deadline expires; then wait for the oldest left. An
   * entry added meanwhile (an expiry that starts something under the same delay: a failover's
   * next attempt) is the newest, due a whole delay from now; the timer must still wait only for
   * the oldest, which may be due much sooner, so it is armed once, after the expiries.
   */
  fire(): void {
    this.timer = undefined;
    const now = this.now();
    this.firing = true;
    try {
      let entry = this.oldest;
      while (entry !== undefined && entry.dueAt <= now) {
        this.remove(entry);
        entry.expire();
        entry = this.oldest;
      }
    } finally {
      this.firing = false;
      const oldest = this.oldest;
      if (oldest !== undefined && this.timer === undefined) this.arm(Math.max(1, oldest.dueAt - now));
    }
  }

  private arm(ms: number): void {
    // The list as the timer's argument: no closure for its callback. A delay past what a timer
    // holds (a 30-day bound) is waited in steps: `fire` expires nothing early and arms again.
    this.timer = this.setTimer(fireList, timerDelay(ms), this);
    this.timer.unref();
  }
}

/** The list's one timer: what `setTimeout` gives (or a test's stand-in). */
interface ListTimer {
  unref(): unknown;
}

/** Arms the list's timer: `setTimeout` itself, or a test's stand-in that records the delay. */
export type ArmTimer = (fire: (list: DeadlineList) => void, ms: number, list: DeadlineList) => ListTimer;

function fireList(list: DeadlineList): void {
  list.fire();
}

/** Every list made by `deadlineListOf`, by its delay (a config has few distinct ones). */
const lists = new Map<number, DeadlineList>();

/** The shared list for deadlines of `ms` (made on first use): one timer for every entry of that delay. */
export function deadlineListOf(ms: number): DeadlineList {
  let list = lists.get(ms);
  if (list === undefined) {
    list = new DeadlineList(ms);
    lists.set(ms, list);
  }
  return list;
}
