/** A view of shared memory from its start, as a batch's writer makes one. */
interface MemoryView {
  readonly buffer: ArrayBufferLike;
  readonly length: number;
}

/** Memories kept for the next batches: the current one's and these two cover a batch in flight. */
const SPARES = 2;

/**
 * The shared memories a batch's writer (its numbers', span-batch-buffer.ts; its own strings',
 * own-strings.ts) writes batch after batch: a memory comes back once the export thread is done
 * with it and is written again, where a new one was made a batch. A memory coming back is known
 * by its buffer and handed out again as the view it was made as: making a new view of it at each
 * reply (a `Float64Array`, a `Buffer`) cost the event loop ~10 µs a batch, the code cold.
 */
export class SpareMemories<View extends MemoryView> {
  private readonly spare: View[] = [];
  private readonly made = new WeakMap<ArrayBufferLike, View>();

  /** `make`: a new memory's view of `length` elements; `size`: the length of one kept. */
  constructor(
    private readonly make: (length: number) => View,
    private readonly size: number,
  ) {}

  /** A memory for the next batch: one that came back, or a new one of `size`. */
  next(): View {
    return this.spare.pop() ?? this.grown(this.size);
  }

  /** A new memory of `length` (at least `size`; a batch that outgrew its memory). */
  grown(length: number): View {
    const view = this.make(length);
    this.made.set(view.buffer, view);
    return view;
  }

  /** A memory (any view of it) that the export thread is done with: kept when there is room. */
  recycle(part: { readonly buffer: ArrayBufferLike }): void {
    const view = this.made.get(part.buffer);
    if (view !== undefined && this.spare.length < SPARES && view.length >= this.size) this.spare.push(view);
  }
}
