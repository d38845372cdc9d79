/**
 * A fixed-capacity buffer that keeps the newest `capacity` items. Items are addressed by an
 * absolute sequence number (0 for the first push ever), so a caller can replace an item in
 * place while it is still held, and knows when it has been evicted.
 */
export class RingBuffer<T> {
  private readonly items: (T | undefined)[];
  private next = 0;

  constructor(readonly capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new RangeError("capacity must be a positive integer");
    this.items = new Array<T | undefined>(capacity);
  }

  /** How many items are held now. */
  get size(): number {
    return Math.min(this.next, this.capacity);
  }

  /** The sequence number the next push will get (= total pushes so far). */
  get pushed(): number {
    return this.next;
  }

  /** Appends an item; returns its sequence number and the item it evicted, if any. */
  push(item: T): { seq: number; evicted: T | undefined } {
    const slot = this.next % this.capacity;
    const evicted = this.next >= this.capacity ? this.items[slot] : undefined;
    this.items[slot] = item;
    return { seq: this.next++, evicted };
  }

  /** True while the item pushed as `seq` is still held. */
  holds(seq: number): boolean {
    return seq >= this.next - this.size && seq < this.next;
  }

  get(seq: number): T | undefined {
    return this.holds(seq) ? this.items[seq % this.capacity] : undefined;
  }

  /** Replaces a held item; returns false when `seq` was already evicted. */
  set(seq: number, item: T): boolean {
    if (!this.holds(seq)) return false;
    this.items[seq % this.capacity] = item;
    return true;
  }

  /** The held items, newest first. */
  newestFirst(): T[] {
    const out: T[] = [];
    for (let seq = this.next - 1; seq >= this.next - this.size; seq--) {
      const item = this.items[seq % this.capacity];
      if (item !== undefined) out.push(item);
    }
    return out;
  }
}
