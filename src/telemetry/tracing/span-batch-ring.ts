/**
 * A batch handed to the export thread through shared memory instead of a message. A posted
 * batch cost the event loop ~55 µs (its message built and cloned, the post, ~43 µs of it the
 * post alone; the code cold, once every 256 requests: docs/BENCHMARKS-HISTORY.md, session 15).
 * A batch that names only what the thread already holds (memories posted before, no new
 * strings, resources or scopes) goes here as six numbers, and the thread, waiting on the ring
 * with `Atomics.waitAsync`, takes it. Anything else still goes by message (thread-span-processor.ts
 * says when).
 *
 * Who wakes the thread: while batches keep coming (at c=32 one every ~6–15 ms), the thread looks
 * at the ring on its own timer, set as far ahead as the batches have lately come apart, and
 * the main thread publishes with two stores and no wake-up; once its looks find nothing, it
 * sleeps until `Atomics.notify` (a flag in the ring says which). An `Atomics.notify` that wakes a
 * thread cost the event loop ~15–30 µs on this virtual machine (a system call and a cross-CPU
 * interrupt; ~0.9 % of a traced gateway's loop at c=32), where the thread's own timer costs the
 * thread about what being notified did (docs/BENCHMARKS-HISTORY.md, session 19).
 */

import { monotonicClock } from "../../core/steady-clock.ts";
import { countsApart, nextCount, ringCountLimit } from "./ring-counts.ts";

/**
 * Cells: batches published (the main thread's), batches taken (the thread's), whether the thread
 * sleeps until notified (the thread's: 1, else it looks on its own clock), then the slots.
 */
const PUBLISHED = 0;
const TAKEN = 1;
const SLEEPING = 2;
const HEADER = 3;
/** A slot: id, spans, the numbers' memory and length, the strings' memory and length. */
const SLOT = 6;
/** Batches further apart than this (ms) are waited for asleep, each one notified. */
const MOST_LOOK_MS = 100;
const LEAST_LOOK_MS = 1;
/** Looks that find nothing in a row, the first aside, before the thread sleeps until notified. */
const MISSED_LOOKS = 3;

/** A batch as the ring carries it: its request id and where its numbers and strings are. */
export interface RingBatch {
  readonly id: number;
  readonly spans: number;
  readonly numbersMemory: number;
  readonly numbersLength: number;
  readonly stringsMemory: number;
  readonly stringsLength: number;
}

/** The main thread's side: publishes batches; `memory` goes to the thread once. */
export class BatchRing {
  readonly memory: SharedArrayBuffer;
  private readonly cells: Int32Array;
  private readonly limit: number;
  private published: number;

  /**
   * `slots`: batches published and not yet taken by the thread, at most; `countsFrom`, where
   * the counts start (0; tests start them just short of where they wrap).
   */
  constructor(
    private readonly slots: number,
    countsFrom = 0,
  ) {
    this.memory = new SharedArrayBuffer((HEADER + slots * SLOT) * 4);
    this.cells = new Int32Array(this.memory);
    this.limit = ringCountLimit(slots);
    this.published = countsFrom % this.limit;
    this.cells[PUBLISHED] = this.published;
    this.cells[TAKEN] = this.published;
    // Notified until the thread's reader says otherwise.
    this.cells[SLEEPING] = 1;
  }

  /** Publishes `batch`, waking the thread when it must; false (nothing written) when the ring is full. */
  publish(batch: RingBatch): boolean {
    const cells = this.cells;
    const untaken = countsApart(Atomics.load(cells, TAKEN), this.published, this.limit);
    if (untaken >= this.slots) return false;
    const at = HEADER + (this.published % this.slots) * SLOT;
    cells[at] = batch.id;
    cells[at + 1] = batch.spans;
    cells[at + 2] = batch.numbersMemory;
    cells[at + 3] = batch.numbersLength;
    cells[at + 4] = batch.stringsMemory;
    cells[at + 5] = batch.stringsLength;
    // The store orders the slot's writes before it: the thread reads the slot after loading it.
    this.published = nextCount(this.published, this.limit);
    Atomics.store(cells, PUBLISHED, this.published);
    // Woken when asleep, or when it has not taken the batch before (its looks fell behind: on
    // busy cores a thread woken by its own timer may wait for one, a notified one less so). Both
    // sequentially consistent: a thread that set SLEEPING after this load compares PUBLISHED
    // after this store, so it finds the batch rather than waiting for a wake-up.
    if (untaken > 0 || Atomics.load(cells, SLEEPING) !== 0) Atomics.notify(cells, PUBLISHED);
    return true;
  }
}

/** The export thread's side: takes the batches published, in order, as they come. */
export class BatchRingReader {
  private readonly cells: Int32Array;
  private readonly slots: number;
  private readonly limit: number;
  private taken: number;
  /** Batches apart lately, in ms (0: none yet, or they came too far apart to look for). */
  private pace = 0;
  /** `performance.now()` when batches were last taken here. */
  private lastTaken = 0;
  /** Looks in a row that found nothing. */
  private missed = 0;
  /** An `Atomics.waitAsync` on the ring is pending (`waitForNotify`). */
  private waiting = false;
  /** The next look's timer, while one is set. */
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    memory: SharedArrayBuffer,
    private readonly each: (batch: RingBatch) => void,
    /** The thread's clock for the batches' pace (tests set it). */
    private readonly now: () => number = monotonicClock,
  ) {
    this.cells = new Int32Array(memory);
    this.slots = (this.cells.length - HEADER) / SLOT;
    this.limit = ringCountLimit(this.slots);
    this.taken = Atomics.load(this.cells, TAKEN);
  }

  /** Takes every batch published so far (a message that follows them must find them taken). */
  drain(): void {
    const cells = this.cells;
    const published = Atomics.load(cells, PUBLISHED);
    while (this.taken !== published) {
      const at = HEADER + (this.taken % this.slots) * SLOT;
      const batch: RingBatch = {
        id: cells[at] as number,
        spans: cells[at + 1] as number,
        numbersMemory: cells[at + 2] as number,
        numbersLength: cells[at + 3] as number,
        stringsMemory: cells[at + 4] as number,
        stringsLength: cells[at + 5] as number,
      };
      this.taken = nextCount(this.taken, this.limit);
      Atomics.store(cells, TAKEN, this.taken);
      this.each(batch);
    }
  }

  /**
   * Waits for the batches without blocking the thread's event loop and takes them as they come,
   * for good: asleep until notified at first, then as the batches' pace says (see the top).
   */
  waitForBatches(): void {
    this.sleep();
  }

  /** Waits until the main thread notifies (it does while SLEEPING is set). */
  private sleep(): void {
    Atomics.store(this.cells, SLEEPING, 1);
    this.waitForNotify();
  }

  /**
   * Looks again in `ms` on the thread's own timer, or sooner if notified (the thread fell behind,
   * or a publish read SLEEPING before it was cleared). A timed `Atomics.waitAsync` woke the
   * thread through a task it posted to its own event loop (an eventfd write, a second poll, the
   * wait's promise and its reaction): ~40–60 µs of the thread's CPU a look more than a timer,
   * by thread CPU clocks in place (session 65).
   */
  private look(ms: number): void {
    this.timer = setTimeout(this.looked, ms);
    this.waitForNotify();
  }

  /**
   * One `Atomics.waitAsync` without a timeout, left pending across looks: a notify wakes it,
   * the looks' timers do not end it. A wait begun earlier compared the ring's count then, so a
   * batch published since, by a main thread that read SLEEPING clear, is looked for here.
   */
  private waitForNotify(): void {
    if (this.waiting) {
      if (Atomics.load(this.cells, PUBLISHED) !== this.taken) queueMicrotask(this.woken);
      return;
    }
    const result = Atomics.waitAsync(this.cells, PUBLISHED, this.taken);
    if (!result.async) {
      queueMicrotask(this.woken);
      return;
    }
    this.waiting = true;
    result.value.then(this.notified);
  }

  private readonly notified = () => {
    this.waiting = false;
    this.woken();
  };

  private readonly looked = () => {
    this.timer = undefined;
    this.woken();
  };

  private readonly woken = () => {
    // Woken before the look's time (notified): the look is not needed.
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    Atomics.store(this.cells, SLEEPING, 0);
    const before = this.taken;
    this.drain();
    const now = this.now();
    const taken = countsApart(before, this.taken, this.limit);
    if (taken > 0) {
      // Batches taken apart lately (the first after a sleep only starts the count): averaged
      // while they come often enough to look for, else the thread sleeps until the next.
      const gap = this.lastTaken > 0 ? (now - this.lastTaken) / taken : Number.POSITIVE_INFINITY;
      this.lastTaken = now;
      this.missed = 0;
      const pace = this.pace > 0 && gap <= MOST_LOOK_MS ? this.pace * 0.75 + gap * 0.25 : gap;
      this.pace = pace <= MOST_LOOK_MS ? pace : 0;
    } else if (this.pace > 0 && ++this.missed <= MISSED_LOOKS) {
      // Looked a little early (the batch comes a little late): again soon.
      this.look(Math.max(LEAST_LOOK_MS, this.pace / 4));
      return;
    } else this.pace = 0;
    if (this.pace > 0) this.look(Math.max(LEAST_LOOK_MS, this.pace));
    else {
      if (taken === 0) this.lastTaken = 0;
      this.sleep();
    }
  };
}
