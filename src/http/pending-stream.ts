import type { ChunkSource, QuietListener } from "../core/chunk-source.ts";
import { Deadlined, type DeadlineList, deadlineListOf } from "../core/deadline-list.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import { timerDelay } from "../core/timer-delay.ts";
import { KEEP_ALIVE } from "./sse-response.ts";

const TICK = Symbol("tick");

/**
 * A wait for `promise`'s value if it settles within `ms`, else for undefined (the keep-alive wait).
 * Every stream request waits through one, so the wait makes no timer of its own: it is an entry in
 * the shared deadline list of its delay (core/deadline-list.ts: one timer for every wait of that
 * delay). The waiter awaits the wait itself and then calls `leave()`, which takes the wait out of
 * the list, so nothing settled is kept until the deadline. `startedMs`: `performance.now()` as read
 * in this same synchronous run (the first attempt's start), counted from instead of a read of its
 * own; never an older reading, so the list's waits expire in the order they were added.
 */
export function valueWithin<T>(promise: Promise<T>, ms: number, startedMs?: number): ValueWithin<T> {
  return new ValueWithin(promise, deadlineListOf(ms), startedMs);
}

/**
 * One wait: settled by the promise, or by its deadline, whichever comes first. It is awaited as it
 * is (a thenable), so it makes no promise of its own: `await` hands `then` the resolving functions
 * of the waiter's own frame, the promise settles them directly, and the deadline calls the first
 * one. A promise of its own cost a stream four cells more (the promise, its two resolvers and
 * `withResolvers`' record: docs/BENCHMARKS-HISTORY.md, session 16). One waiter: it is awaited
 * once.
 */
export class ValueWithin<T> extends Deadlined {
  /** The waiter's resolving function, once it awaits: the deadline settles it with undefined. */
  private settle: ((value: T | undefined) => void) | undefined;
  private expired = false;

  constructor(
    private readonly promise: Promise<T>,
    private readonly list: DeadlineList,
    startedMs?: number,
  ) {
    super();
    list.add(this, startedMs);
  }

  /** Called by `await` (a job after the waiter's turn): the first of the two to settle wins. */
  // biome-ignore lint/suspicious/noThenProperty: a thenable on purpose, awaited as it is (see the class)
  then(onValue: (value: T | undefined) => void, onFailure: (reason: unknown) => void): void {
    if (this.expired) {
      onValue(undefined);
      return;
    }
    this.settle = onValue;
    this.promise.then(onValue, onFailure);
  }

  override expire(): void {
    this.expired = true;
    this.settle?.(undefined);
  }

  /** The waiter has its answer: the wait leaves its deadline list (nothing when it expired). */
  leave(): void {
    this.list.remove(this);
  }
}

/**
 * A stream committed before its first token: while the router is still waiting on (or
 * retrying, or failing over between) upstreams, it sends an SSE comment every `intervalMs` so
 * that the client and every proxy between see a live connection; then it is the answer's own
 * stream. If the routing fails, `next` rejects and the caller writes the error event. The comment
 * that commits it, with the head, is the caller's (http/kept-alive-response.ts): the first one here
 * comes an interval after it.
 */
export class PendingStream implements ChunkSource {
  private inner: ChunkSource | undefined;
  private started = false;
  private cancelled = false;
  /** Handed on to the answer's own stream once routing settles (`ChunkSource.keepAlive`). */
  private listener: QuietListener | undefined;

  constructor(
    private readonly source: Promise<ChunkSource>,
    private readonly intervalMs: number,
    /** The first chunk of the answer itself (not a keep-alive comment): time to first token. */
    private readonly onFirstChunk: () => void,
  ) {
    // Observed by `next` or `cancel`; never an unhandled rejection in between.
    source.catch(() => {});
  }

  get reported(): GatewayError | undefined {
    return this.inner?.reported;
  }

  get reportedEvent(): SseEvent | undefined {
    return this.inner?.reportedEvent;
  }

  /** A bare `error` event ended the answer's stream: the relay adds its `response.failed` (http/sse-response.ts). */
  get failureUnended(): GatewayError | undefined {
    return this.inner?.failureUnended;
  }

  get complete(): boolean | undefined {
    return this.inner?.complete;
  }

  get events(): number | undefined {
    return this.inner?.events;
  }

  get upstreamEvents(): number | undefined {
    return this.inner?.upstreamEvents;
  }

  async next(): Promise<Uint8Array | undefined> {
    while (!this.inner) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<typeof TICK>((resolve) => {
        timer = setTimeout(resolve, timerDelay(this.intervalMs), TICK);
      });
      const winner = await Promise.race([this.source, tick]).finally(() => clearTimeout(timer));
      if (winner === TICK) return KEEP_ALIVE;
      this.inner = winner;
      if (this.cancelled) winner.cancel();
      else if (this.listener) winner.keepAlive?.(this.listener);
    }
    const chunk = await this.inner.next();
    if (chunk && !this.started) {
      this.started = true;
      this.onFirstChunk();
    }
    return chunk;
  }

  cancel(): void {
    this.cancelled = true;
    if (this.inner) this.inner.cancel();
    else this.source.then((chunks) => chunks.cancel()).catch(() => {});
  }

  keepAlive(listener: QuietListener): void {
    this.listener = listener;
    this.inner?.keepAlive?.(listener);
  }
}

/** A whole answer as one event, for a stream committed early whose upstream answered in one piece. */
export function singleEvent(data: string): ChunkSource {
  let sent = false;
  return {
    reported: undefined,
    next: async () => {
      if (sent) return undefined;
      sent = true;
      return new TextEncoder().encode(`data: ${data}\n\n`);
    },
    cancel: () => {},
  };
}
