/**
 * A batch's numbers cross to the export thread in shared memory that the main thread writes batch
 * after batch (span-batch-buffer.ts keeps two spare arrays). Posted with every batch, the thread
 * received the same memory as a new buffer each time, and each counted its ~220 KB as new memory
 * on the thread's heap: an eden collection every 7–8 batches, each ~800 µs of the thread's CPU
 * against ~90 for a batch's wake without one (docs/BENCHMARKS-HISTORY.md, session 14). So a
 * memory is posted once and named by number after that: the thread keeps the memories it was
 * sent, the last `KEPT` of them (both sides forget the oldest in the same order, so a memory the
 * main thread names is one the thread still holds).
 */

/** Memories the thread holds: the writer's current array, its two spares, and one more. */
const KEPT = 4;

/**
 * How a batch's numbers go: the memory's number, their length, the memory itself the first time.
 * `shared` is always there, undefined when the memory is named: messages of one shape, so the
 * code that spreads and reads them (thread-span-processor.ts's `send`, `numbersOf` on the thread)
 * is not optimised for the named kind and then thrown out of that code by each memory posted anew.
 */
export interface NumbersMessage {
  readonly memory: number;
  readonly length: number;
  readonly shared: SharedArrayBuffer | undefined;
}

/** The main thread's side: which memories the thread holds, by the number each was posted as. */
export class PostedMemories {
  private readonly posted = new Map<ArrayBufferLike, number>();
  private next = 0;

  /** How `numbers` (a view of shared memory from its start) go with the next message posted. */
  message(numbers: Float64Array): NumbersMessage {
    const memory = this.posted.get(numbers.buffer);
    if (memory !== undefined) return { memory, length: numbers.length, shared: undefined };
    const added = ++this.next;
    this.posted.set(numbers.buffer, added);
    if (this.posted.size > KEPT) this.posted.delete(this.posted.keys().next().value as ArrayBufferLike);
    return { memory: added, length: numbers.length, shared: numbers.buffer as SharedArrayBuffer };
  }

  /** A message may not have reached the thread: every memory goes again with its next batch. */
  lost(): void {
    this.posted.clear();
  }
}

/** The export thread's side: the memories it was sent, by number. */
export class HeldMemories {
  private readonly held = new Map<number, Float64Array>();

  /** A batch's numbers, from the memory its message carries or names. */
  numbersOf(message: NumbersMessage): Float64Array {
    if (message.shared !== undefined) {
      this.held.set(message.memory, new Float64Array(message.shared));
      if (this.held.size > KEPT) this.held.delete(this.held.keys().next().value as number);
    }
    const whole = this.held.get(message.memory);
    if (whole === undefined) throw new Error(`span batch memory ${message.memory} is not held by the thread`);
    return whole.subarray(0, message.length);
  }
}
