/** Spent places at the front past which the queue's array is made anew (when they are also half of it). */
const COMPACT_AFTER = 1024;

/** A bound on the bytes the queued items hold, besides how many they are. */
export interface ByteBound<T> {
  /** Most bytes held at once; past it the oldest go, as past the count. */
  readonly max: number;
  /** The bytes one item holds (a sink's: its JSON text's length); read as it comes in and as it goes. */
  readonly of: (item: T) => number;
}

/**
 * The events a sink holds until they are sent: in order, bounded by count and, given a
 * `ByteBound`, by bytes (a few large events cost as much memory as many small ones), the
 * oldest let go first when full (a receiver that is down costs a bounded amount of memory, and
 * the newest events are the ones worth keeping). An item larger than the whole byte bound is let go
 * alone. Letting go of the oldest and taking from the front cost O(1) each, spread out: the front
 * is an index, and the array is made anew once half of it is spent. (A slice of the whole queue
 * for each event published to a full one, as the sinks did, cost a copy of up to `max_queue`
 * events per event while the receiver was away.)
 */
export class EventQueue<T> {
  private items: T[] = [];
  private head = 0;
  /** The bytes the held items hold (0 without a byte bound). */
  private heldBytes = 0;

  constructor(
    private readonly max: number,
    private readonly byteBound?: ByteBound<T>,
  ) {}

  get length(): number {
    return this.items.length - this.head;
  }

  /** The bytes the held items hold, as the byte bound measures them (0 without one). */
  get bytes(): number {
    return this.heldBytes;
  }

  /**
   * Adds an item at the end; returns how many of the oldest were let go to make room (by count,
   * 0 or 1; by bytes, as many as it takes), or 1 for the item itself when it alone is past the
   * byte bound (not taken).
   */
  push(item: T): number {
    const bound = this.byteBound;
    if (bound) {
      const bytes = bound.of(item);
      // Larger than the whole bound: it alone is let go, not everything held before it.
      if (bytes > bound.max) return 1;
      this.heldBytes += bytes;
    }
    this.items.push(item);
    return this.trim();
  }

  /** The first `count` items (fewer when it holds fewer), left in the queue. */
  peek(count: number): T[] {
    return this.items.slice(this.head, this.head + count);
  }

  /** Lets go of the first `count` items (sent, or given up). */
  drop(count: number): void {
    const leaving = Math.min(Math.max(count, 0), this.length);
    if (this.byteBound)
      for (let i = this.head; i < this.head + leaving; i++)
        this.heldBytes -= this.byteBound.of(this.items[i] as T);
    this.head += leaving;
    if (this.head === this.items.length) {
      this.items = [];
      this.head = 0;
      this.heldBytes = 0;
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
    if (this.byteBound) for (const item of items) this.heldBytes += this.byteBound.of(item);
    return this.trim();
  }

  /** Lets the oldest go while the queue is past either bound; returns how many went. */
  private trim(): number {
    let over = Math.max(0, this.length - this.max);
    this.drop(over);
    const bound = this.byteBound;
    if (bound === undefined) return over;
    for (; this.heldBytes > bound.max && this.length > 0; over++) this.drop(1);
    return over;
  }

  /** Empties the queue; returns how many items it held. */
  clear(): number {
    const held = this.length;
    this.drop(held);
    return held;
  }
}

/**
 * A sink queue's byte bound unless told otherwise (and config's `max_queue_bytes` default, of
 * webhooks and the Redis stream alike): room for the 10,000 events of the count bound at ~3 KB
 * each, where a finished request's is about 1 KB; a few outsized events (long user agents, say)
 * cannot hold more.
 */
export const SINK_QUEUE_BYTES = 32 * 1024 * 1024;

/**
 * A sink's queue of events as the JSON it sends, each made once as it is published: what the
 * queue holds is what it will send (a retry sends the same text), and its bytes are that text's
 * length (characters: bytes for ASCII).
 */
export const sinkQueue = (maxQueue: number, maxQueueBytes = SINK_QUEUE_BYTES): EventQueue<string> =>
  new EventQueue<string>(maxQueue, { max: maxQueueBytes, of: (json) => json.length });
