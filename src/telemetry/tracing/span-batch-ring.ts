/**
 * A batch handed to the export thread through shared memory instead of a message. A posted
 * batch cost the event loop ~55 µs (its message built and cloned, the post, ~43 µs of it the
 * post alone; the code cold, once every 256 requests: docs/BENCHMARKS-HISTORY.md, session 15).
 * A batch that names only what the thread already holds (memories posted before, no new
 * strings, resources or scopes) goes here as six numbers, and the thread, waiting on the ring
 * with `Atomics.waitAsync`, is woken by `Atomics.notify`. Anything else still goes by message
 * (thread-span-processor.ts says when).
 */

/** Cells: batches published (the main thread's), batches taken (the thread's), then the slots. */
const PUBLISHED = 0;
const TAKEN = 1;
const HEADER = 2;
/** A slot: id, spans, the numbers' memory and length, the strings' memory and length. */
const SLOT = 6;

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
  private published = 0;

  /** `slots`: batches published and not yet taken by the thread, at most. */
  constructor(private readonly slots: number) {
    this.memory = new SharedArrayBuffer((HEADER + slots * SLOT) * 4);
    this.cells = new Int32Array(this.memory);
  }

  /** Publishes `batch` and wakes the thread; false (nothing written) when the ring is full. */
  publish(batch: RingBatch): boolean {
    const cells = this.cells;
    if (this.published - Atomics.load(cells, TAKEN) >= this.slots) return false;
    const at = HEADER + (this.published % this.slots) * SLOT;
    cells[at] = batch.id;
    cells[at + 1] = batch.spans;
    cells[at + 2] = batch.numbersMemory;
    cells[at + 3] = batch.numbersLength;
    cells[at + 4] = batch.stringsMemory;
    cells[at + 5] = batch.stringsLength;
    // The store orders the slot's writes before it: the thread reads the slot after loading it.
    Atomics.store(cells, PUBLISHED, ++this.published);
    Atomics.notify(cells, PUBLISHED);
    return true;
  }
}

/** The export thread's side: takes the batches published, in order, as they come. */
export class BatchRingReader {
  private readonly cells: Int32Array;
  private readonly slots: number;
  private taken = 0;

  constructor(
    memory: SharedArrayBuffer,
    private readonly each: (batch: RingBatch) => void,
  ) {
    this.cells = new Int32Array(memory);
    this.slots = (this.cells.length - HEADER) / SLOT;
  }

  /** Takes every batch published so far (a message that follows them must find them taken). */
  drain(): void {
    const cells = this.cells;
    const published = Atomics.load(cells, PUBLISHED);
    while (this.taken < published) {
      const at = HEADER + (this.taken % this.slots) * SLOT;
      const batch: RingBatch = {
        id: cells[at] as number,
        spans: cells[at + 1] as number,
        numbersMemory: cells[at + 2] as number,
        numbersLength: cells[at + 3] as number,
        stringsMemory: cells[at + 4] as number,
        stringsLength: cells[at + 5] as number,
      };
      Atomics.store(cells, TAKEN, ++this.taken);
      this.each(batch);
    }
  }

  /** Waits for the next batch without blocking the thread's event loop, then takes it, for good. */
  waitForBatches(): void {
    const result = Atomics.waitAsync(this.cells, PUBLISHED, this.taken);
    if (result.async) result.value.then(this.woken);
    else queueMicrotask(this.woken);
  }

  private readonly woken = () => {
    this.drain();
    this.waitForBatches();
  };
}
