/**
 * A batch's numbers and own strings cross to the export thread in shared memory that the main
 * thread writes batch after batch (span-batch-buffer.ts and own-strings.ts keep two spares each). Posted with every batch, the thread
 * received the same memory as a new buffer each time, and each counted its ~220 KB as new memory
 * on the thread's heap: an eden collection every 7–8 batches, each ~800 µs of the thread's CPU
 * against ~90 for a batch's wake without one (docs/BENCHMARKS-HISTORY.md, session 14). So a
 * memory is posted once and named by number after that: the thread keeps the memories it was
 * sent, the last `KEPT` of them (both sides forget the oldest in the same order, so a memory the
 * main thread names is one the thread still holds).
 */

/** Memories of one kind the thread holds: the writer's current one, its two spares, and one more. */
const KEPT = 4;

/**
 * How a batch's numbers (or strings) go: the memory's number, their length in elements, the
 * memory itself the first time. `shared` is always there, undefined when the memory is named:
 * messages of one shape, so the code that reads them (`of` on the thread) is not optimised for
 * the named kind and then thrown out of that code by each memory posted anew.
 */
export interface MemoryMessage {
  readonly memory: number;
  readonly length: number;
  readonly shared: SharedArrayBuffer | undefined;
}

/** The main thread's side: which memories (of one kind) the thread holds, by the number each was posted as. */
export class PostedMemories {
  private readonly posted = new Map<ArrayBufferLike, number>();
  private next = 0;

  /** The number the thread holds `view`'s memory by; undefined when it was not posted (or was forgotten). */
  named(view: Float64Array | Uint8Array): number | undefined {
    return this.posted.get(view.buffer);
  }

  /** How `view` (of shared memory, from its start) goes with the next message posted. */
  message(view: Float64Array | Uint8Array): MemoryMessage {
    const memory = this.posted.get(view.buffer);
    if (memory !== undefined) return { memory, length: view.length, shared: undefined };
    const added = ++this.next;
    this.posted.set(view.buffer, added);
    if (this.posted.size > KEPT) this.posted.delete(this.posted.keys().next().value as ArrayBufferLike);
    return { memory: added, length: view.length, shared: view.buffer as SharedArrayBuffer };
  }

  /** A message may not have reached the thread: every memory goes again with its next batch. */
  lost(): void {
    this.posted.clear();
  }
}

/** The export thread's side: the memories (of one kind) it was sent, by number. */
export class HeldMemories<View> {
  private readonly held = new Map<number, SharedArrayBuffer>();

  /** `view`: the first `length` elements of a memory, as the kind of view its writer wrote. */
  constructor(private readonly view: (memory: SharedArrayBuffer, length: number) => View) {}

  /** A batch's numbers (or strings), from the memory its message carries or names. */
  of(message: MemoryMessage): View {
    if (message.shared !== undefined) {
      this.held.set(message.memory, message.shared);
      if (this.held.size > KEPT) this.held.delete(this.held.keys().next().value as number);
    }
    const memory = this.held.get(message.memory);
    if (memory === undefined)
      throw new Error(`span batch memory ${message.memory} is not held by the thread`);
    return this.view(memory, message.length);
  }
}
