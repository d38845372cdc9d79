import type { ChunkSource } from "./chunk-source.ts";

/** What a tap does with a stream it passes through. */
export interface ChunkTap {
  /** Each piece handed to the client, as it goes. */
  copy(chunk: Uint8Array): void;
  /** The stream ended, failed or was cancelled; called once. */
  finish(): void;
}

/**
 * Passes a stream through unchanged while `tap` sees every piece, and tells it once when the
 * stream is over. `drained` is passed on, so a whole answer in one read still leaves in one
 * write; the response then never asks `next` for the end, so the tap finishes on the drained read.
 * The audit's text capture and the shadow's byte capture are the two taps.
 */
export function tapChunks(chunks: ChunkSource, tap: ChunkTap): ChunkSource {
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    tap.finish();
  };
  return {
    get reported() {
      return chunks.reported;
    },
    get reportedEvent() {
      return chunks.reportedEvent;
    },
    get failureUnended() {
      return chunks.failureUnended;
    },
    get drained() {
      return chunks.drained;
    },
    get complete() {
      return chunks.complete;
    },
    get events() {
      return chunks.events;
    },
    get upstreamEvents() {
      return chunks.upstreamEvents;
    },
    ready() {
      const chunk = chunks.ready?.();
      if (chunk) tap.copy(chunk);
      if (chunks.drained) finish();
      return chunk;
    },
    async next() {
      try {
        const chunk = await chunks.next();
        if (!chunk) finish();
        else tap.copy(chunk);
        if (chunks.drained) finish();
        return chunk;
      } catch (error) {
        finish();
        throw error;
      }
    },
    cancel() {
      finish();
      chunks.cancel();
    },
    keepAlive(listener) {
      chunks.keepAlive?.(listener);
    },
  };
}
