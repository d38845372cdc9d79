import { expect, test } from "bun:test";
import { prunePassEvery } from "./prune-pass-every.ts";

test("a pass every quarter of the retention, at least once a minute and at most every 250 ms", () => {
  const day = 86_400_000;
  // The default 31 days: once a minute, not once a week (docs/RELIABILITY.md).
  expect(prunePassEvery(31 * day)).toBe(60_000);
  expect(prunePassEvery(4 * 60_000)).toBe(60_000);
  expect(prunePassEvery(2 * 60_000)).toBe(30_000);
  expect(prunePassEvery(1000)).toBe(250);
  expect(prunePassEvery(1)).toBe(250);
});
