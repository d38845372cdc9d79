/** Spent places at the front past which the queue's array is made anew (when they are also half of it). */
const COMPACT_AFTER = 1024;

/**
 * The events a sink holds until they are sent: in order, bounded, the oldest let go first when
 * full (a receiver that is down costs a bounded amount of memory, and the newest events are the
 * ones worth keeping). Letting go of the oldest and taking from the front cost O(1) each, spread
 * out: the front is an index, and the array is made anew once half of it is spent. (A slice of
 * the whole queue for each event published to a full one, as the sinks did, cost a copy of up to
 * `max_queue` events per event while the receiver was away.)
 */
export class EventQueue<T> {
  private items: T[] = [];
  private head = 0;

  constructor(private readonly max: number) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** Adds an item at the end; returns how many of the oldest were let go to make room (0 or 1). */
  push(item: T): number {
    this.items.push(item);
    if (this.length <= this.max) return 0;
    this.drop(1);
    return 1;
  }

  /** The first `count` items (fewer when it holds fewer), left in the queue. */
  peek(count: number): T[] {
    return this.items.slice(this.head, this.head + count);
  }

  /** Lets go of the first `count` items (sent, or given up). */
  drop(count: number): void {
    const leaving = Math.min(Math.max(count, 0), this.length);
    this.head += leaving;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
    } else if (this.head > COMPACT_AFTER && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
  }

  /** Takes the first `count` items out. */
  take(count: number): T[] {
    const taken = this.peek(count);
    this.drop(taken.length);
    return taken;
  }

  /**
   * Puts `items` back at the front, in order: taken to be sent and not sent. A sender that takes
   * its batch out while it is in flight never has an item of it let go (and counted as dropped)
   * to make room meanwhile; what does not fit when it comes back is let go then, the oldest first.
   * Returns how many were let go. It copies the queue: for a failed send, not for every event.
   */
  putBack(items: readonly T[]): number {
    if (items.length === 0) return 0;
    this.items = [...items, ...this.items.slice(this.head)];
    this.head = 0;
    const over = Math.max(0, this.length - this.max);
    this.drop(over);
    return over;
  }

  /** Empties the queue; returns how many items it held. */
  clear(): number {
    const held = this.length;
    this.drop(held);
    return held;
  }
}
