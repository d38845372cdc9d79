/**
 * The counters of a ring in shared memory (span-batch-ring.ts) live in Int32 cells: counted on
 * for good, they would pass 2^31 (a batch every 5 ms does in 124 days), the cell would read
 * negative while the side that counts holds 2^31, and the reader would never find a batch there
 * again (its wait, comparing the two, would return at once, again and again). They wrap
 * instead, at a multiple of the ring's slots, so a count still names its slot (`count % slots`).
 */

/** Where counts of a ring of `slots` wrap: the largest multiple of `slots` up to 2^30. */
export const ringCountLimit = (slots: number): number => slots * Math.floor(2 ** 30 / slots);

/** The count after `count`. */
export const nextCount = (count: number, limit: number): number => (count + 1) % limit;

/** How far `later` is past `earlier` (both counts of one ring, `later` not a whole wrap ahead). */
export const countsApart = (earlier: number, later: number, limit: number): number =>
  (later - earlier + limit) % limit;
