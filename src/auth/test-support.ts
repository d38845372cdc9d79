import type { KeyStore } from "../storage/storage.ts";

/** Wraps a KeyStore and counts the reads the request path would cost. */
export function countingStore(inner: KeyStore): KeyStore & { reads: () => number } {
  let reads = 0;
  return {
    ...inner,
    async getByHash(hash) {
      reads++;
      return inner.getByHash(hash);
    },
    reads: () => reads,
  };
}

/** A clock tests move by hand. */
export function manualClock(start = 1_700_000_000_000) {
  let now = start;
  return {
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
    set: (ms: number) => {
      now = ms;
    },
  };
}
