import type { GatewayEvent } from "./gateway-event.ts";
import { type ListenerFailed, ListenerFaults } from "./listener-faults.ts";

/** How one consumer listens. */
export interface SubscribeOptions {
  /** Only events passing the filter are buffered for this consumer. */
  filter?: (event: GatewayEvent) => boolean;
  /** Events held for a consumer that is not reading; past it the oldest are dropped. */
  bufferSize?: number;
  /** A consumer still behind (buffer never drained) this long after its first loss is closed. */
  maxLagMs?: number;
  /**
   * Also the requests other cluster nodes take (`deliverRelayed`): for the live stream's readers
   * (`/admin/api/events`), not for what counts or forwards this node's own events.
   */
  relayed?: boolean;
}

/** Why a subscription ended. */
export type CloseReason = "closed" | "dropped";

/** One consumer's view of the bus: an async iterator that ends when it is closed or dropped. */
export interface Subscription extends AsyncIterableIterator<GatewayEvent> {
  close(): void;
  /** Null while open. */
  readonly closeReason: CloseReason | null;
}

interface Tap {
  readonly listener: (event: GatewayEvent) => void;
  readonly types: readonly GatewayEvent["type"][] | undefined;
  readonly failed: ListenerFailed;
}

type Waiter = (result: IteratorResult<GatewayEvent>) => void;

/**
 * In-process pub/sub of gateway events. A slow consumer never slows the publisher: `publish()`
 * is O(subscribers), never awaits and never throws; each consumer has a bounded buffer, loses its
 * oldest events on overflow and is told how many with one `events.missed` event, and is closed
 * ("dropped") if it stays behind longer than `maxLagMs`. A listener that throws (a tap, a
 * consumer's filter) costs its own delivery alone, told to `faults` (listener-faults.ts).
 */
export class EventBus {
  private readonly subscribers = new Set<Subscriber>();
  /** Replaced, never changed in place, so a publish in progress walks the list it started with. */
  private taps: readonly Tap[] = [];
  /** Every consumer's filter is the live streams' code: one reporter serves them all. */
  private readonly filterFailed: ListenerFailed;
  /** Told when the first consumer of other nodes' events comes and when the last goes (`onRelayedReaders`). */
  private relayedListeners: (() => void)[] = [];

  constructor(
    private readonly now: () => number = Date.now,
    /** Where listeners' throws are counted and told; by default counted only. */
    readonly faults: ListenerFaults = new ListenerFaults(),
  ) {
    this.filterFailed = faults.of("a live event stream's filter");
  }

  /**
   * Whether anyone would receive an event of this type: a publisher may skip building one (two
   * per request) when nobody would.
   */
  wants(type: GatewayEvent["type"]): boolean {
    if (this.subscribers.size > 0) return true;
    for (const tap of this.taps) if (tap.types === undefined || tap.types.includes(type)) return true;
    return false;
  }

  publish(event: GatewayEvent): void {
    // No Set iterator while nobody subscribes (publish runs twice a request).
    if (this.subscribers.size > 0) for (const subscriber of this.subscribers) subscriber.offer(event);
    const taps = this.taps;
    for (let i = 0; i < taps.length; i++) {
      const tap = taps[i];
      if (tap === undefined || (tap.types !== undefined && !tap.types.includes(event.type))) continue;
      try {
        tap.listener(event);
      } catch (error) {
        tap.failed(error, event.type);
      }
    }
  }

  /**
   * Calls `listener` synchronously with every event (of `types`, when given) until the returned
   * function is called. For event sinks that queue on their own; unlike subscriptions,
   * `closeAll` leaves taps on, so events published while draining still reach them. `failed` is
   * where its throws are told: the name a warning gives it (`the metrics' event listener`), or a
   * reporter of its own (`faults.of`), which what it fails at later is told to as well (an event
   * sink's rejected `publish`: one count and one warning a failure, however it failed).
   */
  tap(
    failed: string | ListenerFailed,
    listener: (event: GatewayEvent) => void,
    types?: readonly GatewayEvent["type"][],
  ): () => void {
    const tap: Tap = {
      listener,
      types,
      failed: typeof failed === "string" ? this.faults.of(failed) : failed,
    };
    this.taps = [...this.taps, tap];
    return () => {
      this.taps = this.taps.filter((other) => other !== tap);
    };
  }

  subscribe(options: SubscribeOptions = {}): Subscription {
    const subscriber = new Subscriber(
      options,
      this.now,
      () => {
        this.subscribers.delete(subscriber);
        if (subscriber.relayed && this.relayedReaders === 0) this.relayedChanged();
      },
      this.filterFailed,
    );
    const first = subscriber.relayed && this.relayedReaders === 0;
    this.subscribers.add(subscriber);
    if (first) this.relayedChanged();
    return subscriber;
  }

  /**
   * Calls `listener` when the first consumer that takes other nodes' events subscribes, and when
   * the last one closes: a cluster node tells the others at once (cluster/event-relay.ts), rather
   * than at its next heartbeat, so a stream just opened shows their requests from its start.
   */
  onRelayedReaders(listener: () => void): void {
    this.relayedListeners = [...this.relayedListeners, listener];
  }

  private relayedChanged(): void {
    for (const listener of this.relayedListeners) listener();
  }

  /**
   * An event another cluster node took (cluster/event-relay.ts), for the consumers that asked
   * for those (`relayed`) only: taps and the rest see this node's own events, never another's.
   */
  deliverRelayed(event: GatewayEvent): void {
    for (const subscriber of this.subscribers) if (subscriber.relayed) subscriber.offer(event);
  }

  /** How many consumers take other nodes' events too: while any do, other nodes relay theirs here. */
  get relayedReaders(): number {
    let readers = 0;
    for (const subscriber of this.subscribers) if (subscriber.relayed) readers++;
    return readers;
  }

  /** Ends every subscription (their streams finish cleanly): used when the gateway drains. */
  closeAll(): void {
    for (const subscriber of [...this.subscribers]) subscriber.close();
  }

  /** How many consumers are attached. */
  get size(): number {
    return this.subscribers.size;
  }
}

class Subscriber implements Subscription {
  closeReason: CloseReason | null = null;
  private buffer: GatewayEvent[] = [];
  private head = 0;
  private missed = 0;
  private behindSince: number | null = null;
  private waiter: Waiter | null = null;
  private readonly bufferSize: number;
  private readonly maxLagMs: number;
  readonly relayed: boolean;

  constructor(
    private readonly options: SubscribeOptions,
    private readonly now: () => number,
    private readonly detach: () => void,
    private readonly filterFailed: ListenerFailed,
  ) {
    this.bufferSize = Math.max(1, options.bufferSize ?? 1000);
    this.maxLagMs = options.maxLagMs ?? 10_000;
    this.relayed = options.relayed === true;
  }

  offer(event: GatewayEvent): void {
    if (this.closeReason !== null) return;
    try {
      if (this.options.filter && !this.options.filter(event)) return;
    } catch (error) {
      // A faulty filter costs its own consumer the event, never the publisher.
      this.filterFailed(error, event.type);
      return;
    }
    if (this.waiter !== null) {
      const resolve = this.waiter;
      this.waiter = null;
      resolve({ value: event, done: false });
      return;
    }
    if (this.pending() >= this.bufferSize) {
      this.head++;
      this.missed++;
      if (this.head >= this.bufferSize) this.compact();
      this.behindSince ??= this.now();
      if (this.now() - this.behindSince > this.maxLagMs) {
        this.missed++; // this event too
        this.end("dropped");
        return;
      }
    }
    this.buffer.push(event);
  }

  next(): Promise<IteratorResult<GatewayEvent>> {
    if (this.missed > 0) {
      // The lost events were the oldest, so the notice belongs before what is still buffered.
      const count = this.missed;
      this.missed = 0;
      return Promise.resolve({ value: { type: "events.missed", at: this.now(), count }, done: false });
    }
    if (this.pending() > 0) {
      const value = this.buffer[this.head++]!;
      if (this.pending() === 0) this.reset();
      else if (this.head > 1024 && this.head * 2 > this.buffer.length) this.compact();
      return Promise.resolve({ value, done: false });
    }
    if (this.closeReason !== null) return Promise.resolve({ value: undefined, done: true });
    return new Promise((resolve) => {
      this.waiter = resolve;
    });
  }

  async return(): Promise<IteratorResult<GatewayEvent>> {
    this.close();
    return { value: undefined, done: true };
  }

  close(): void {
    this.end("closed");
  }

  [Symbol.asyncIterator](): AsyncIterableIterator<GatewayEvent> {
    return this;
  }

  private end(reason: CloseReason): void {
    if (this.closeReason !== null) return;
    this.closeReason = reason;
    // A consumer dropped for lagging is told, last, how many it lost (what overflowed and what
    // was still buffered), so a reader that reconnects can say so; one that closed is told nothing.
    this.missed = reason === "dropped" ? this.missed + this.pending() : 0;
    this.reset();
    this.detach();
    const waiter = this.waiter;
    this.waiter = null;
    waiter?.({ value: undefined, done: true });
  }

  private pending(): number {
    return this.buffer.length - this.head;
  }

  /** Caught up: the consumer is no longer behind. */
  private reset(): void {
    this.buffer = [];
    this.head = 0;
    this.behindSince = null;
  }

  private compact(): void {
    this.buffer = this.buffer.slice(this.head);
    this.head = 0;
  }
}
