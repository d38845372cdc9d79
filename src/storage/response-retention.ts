import { pruneBacklog } from "../core/prune-backlog.ts";
import { prunePassEvery } from "../core/prune-pass-every.ts";
import type { ResponseStore } from "./storage.ts";

const BATCH = 1000;

/**
 * Keeps stored responses (`previous_response_id` chains), and any store that prunes by age (shadow
 * pairs), from growing without bound: every
 * pass deletes all those older than `retentionMs`, in small batches so no delete holds the write
 * lock for long (core/prune-backlog.ts). Passes run every quarter of the retention, between 250 ms and a minute apart
 * (core/prune-pass-every.ts).
 * Returns a stop function.
 */
export function startResponseRetention(
  store: Pick<ResponseStore, "prune">,
  retentionMs: number,
  onError: (error: unknown) => void,
  now: () => number = Date.now,
  every: RepeatEvery = repeatEvery,
): () => void {
  let running = false;
  // Set by the stop: a pass under way (a backlog has no bound) ends after its current batch.
  let stopped = false;
  const pass = async () => {
    if (running) return;
    running = true;
    try {
      const cutoff = now() - retentionMs;
      await pruneBacklog(
        (before, limit) => store.prune(before, limit),
        cutoff,
        BATCH,
        () => stopped,
      );
    } catch (error) {
      onError(error);
    } finally {
      running = false;
    }
  };
  const stopRepeating = every(pass, prunePassEvery(retentionMs));
  return () => {
    stopped = true;
    stopRepeating();
  };
}

/** Runs `task` every `ms` until the returned stop is called; tests pass their own to run passes. */
export type RepeatEvery = (task: () => Promise<void>, ms: number) => () => void;

/** A real interval that does not keep the process alive. */
const repeatEvery: RepeatEvery = (task, ms) => {
  const timer = setInterval(task, ms);
  timer.unref();
  return () => clearInterval(timer);
};
