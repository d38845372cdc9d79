import type { ChunkSource } from "../core/chunk-source.ts";
import { Deadlined, type DeadlineList, deadlineListOf } from "../core/deadline-list.ts";
import type { GatewayError } from "../core/gateway-error.ts";

const COMMENT = new TextEncoder().encode(": keep-alive\n\n");
const TICK = Symbol("tick");

/**
 * A wait for `promise` that settles with its value, or with undefined once `ms` passed first.
 * Every stream request waits through one, so the wait makes no timer of its own: it is an entry in
 * the shared deadline list of its delay (core/deadline-list.ts: one timer for every wait of that
 * delay). The waiter awaits `settled` and then calls `leave()`, which takes the wait out of the
 * list, so nothing settled is kept until the deadline. The waiter leaves rather than the wait on
 * its own settling: the promise then settles the wait through its resolvers as they are, with no
 * handler bound to the wait (two functions a stream fewer).
 */
export function within<T>(promise: Promise<T>, ms: number): Within<T> {
  const wait = new Within<T>(deadlineListOf(ms));
  promise.then(wait.resolve, wait.reject);
  return wait;
}

/** One wait: settled by the promise, or by its deadline, whichever comes first. */
export class Within<T> extends Deadlined {
  readonly settled: Promise<T | undefined>;
  readonly resolve: (value: T | undefined) => void;
  readonly reject: (reason: unknown) => void;

  constructor(private readonly list: DeadlineList) {
    super();
    // Its resolvers taken as they are: no executor closure per wait.
    const { promise, resolve, reject } = Promise.withResolvers<T | undefined>();
    this.settled = promise;
    this.resolve = resolve;
    this.reject = reject;
    list.add(this);
  }

  override expire(): void {
    this.resolve(undefined);
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
 * stream. If the routing fails, `next` rejects and the caller writes the error event.
 */
export class PendingStream implements ChunkSource {
  private inner: ChunkSource | undefined;
  private started = false;
  private cancelled = false;

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

  async next(): Promise<Uint8Array | undefined> {
    while (!this.inner) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<typeof TICK>((resolve) => {
        timer = setTimeout(resolve, this.intervalMs, TICK);
      });
      const winner = await Promise.race([this.source, tick]).finally(() => clearTimeout(timer));
      if (winner === TICK) return COMMENT;
      this.inner = winner;
      if (this.cancelled) winner.cancel();
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
