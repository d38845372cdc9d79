import { expect, test } from "bun:test";
import { TRACE_FLUSH_FLOOR_MS, traceFlushTime } from "./trace-flush-time.ts";

test("the last trace flush has what is left of the drain, and a second at least after a stop that used it all", () => {
  expect(traceFlushTime(30_000, 2_000)).toBe(28_000);
  // A request ran to the drain deadline, or the stop ran past it: the spans still get their second.
  expect(traceFlushTime(30_000, 30_000)).toBe(TRACE_FLUSH_FLOOR_MS);
  expect(traceFlushTime(1_000, 4_500)).toBe(TRACE_FLUSH_FLOOR_MS);
  // Never more than the drain itself.
  expect(traceFlushTime(5_000, 0)).toBe(5_000);
});
