import { yieldToLoop } from "./yield-to-loop.ts";

/** Deletes up to `limit` of the rows older than `before` (epoch ms); returns how many it deleted. */
export type PruneBatch = (before: number, limit: number) => Promise<number>;

/**
 * Deletes every row older than `cutoff`, `batchSize` a call (each a short transaction holding the
 * write lock briefly), giving the event loop back between calls: it goes on while full batches
 * come back, so one pass clears a backlog of any size. No count of batches bounds a pass: a cap
 * (once 100 batches, a pass a minute) let a store written faster than it cleared grow for good.
 * `stopped`: checked after each batch, ending the pass there. Returns the rows deleted.
 */
export async function pruneBacklog(
  prune: PruneBatch,
  cutoff: number,
  batchSize: number,
  stopped: () => boolean = () => false,
): Promise<number> {
  let deleted = 0;
  for (;;) {
    const n = await prune(cutoff, batchSize);
    deleted += n;
    if (n < batchSize || stopped()) return deleted;
    await yieldToLoop();
  }
}
