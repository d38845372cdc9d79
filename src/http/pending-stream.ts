import type { ChunkSource } from "../core/chunk-source.ts";
import type { GatewayError } from "../core/gateway-error.ts";

const COMMENT = new TextEncoder().encode(": keep-alive\n\n");
const TICK = Symbol("tick");

/**
 * Resolves with the promise's value, or with undefined once `ms` passed first. Every stream
 * request waits through it: one promise settled by whichever comes first, rather than a race
 * of two and a `finally` (fewer promises and reactions a request).
 */
export function within<T>(promise: Promise<T>, ms: number): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const timer = setTimeout(resolve, ms, undefined);
    promise.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error);
      },
    );
  });
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
