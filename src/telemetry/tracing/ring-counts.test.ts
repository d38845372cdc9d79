import { expect, test } from "bun:test";
import { countsApart, nextCount, ringCountLimit } from "./ring-counts.ts";

// The rings' counters live in Int32 cells for as long as the process runs (ring-counts.ts).

test("a ring's counts wrap at a multiple of its slots and still name their slot and distance", () => {
  const limit = ringCountLimit(16);
  expect(limit % 16).toBe(0);
  expect(limit).toBeLessThanOrEqual(2 ** 30);
  expect(ringCountLimit(6) % 6).toBe(0);
  // Where a plain count would go on past 2^31 and turn negative in an Int32 cell, it wraps.
  const last = limit - 1;
  expect(nextCount(last, limit)).toBe(0);
  expect(new Int32Array([nextCount(last, limit)])[0]).toBe(0);
  expect(last % 16).toBe(15);
  expect(nextCount(last, limit) % 16).toBe(0);
  expect(countsApart(last, nextCount(nextCount(last, limit), limit), limit)).toBe(2);
  expect(countsApart(5, 5, limit)).toBe(0);
  expect(countsApart(5, 9, limit)).toBe(4);
});
