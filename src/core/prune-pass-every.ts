/** The most often a pruning pass runs: a retention of a second still costs four passes a second. */
const SHORTEST_MS = 250;
/** The least often: a row outlives its retention by at most a minute, however long the retention. */
const LONGEST_MS = 60_000;

/**
 * How often a store that prunes by age (audit rows, stored responses, shadow pairs) runs a pass: a
 * quarter of the retention, so a row outlives it by at most a quarter and a short retention (tests,
 * demos) is honoured promptly; but at least once a minute, and at most every 250 ms.
 */
export const prunePassEvery = (retentionMs: number): number =>
  Math.min(LONGEST_MS, Math.max(SHORTEST_MS, Math.floor(retentionMs / 4)));
