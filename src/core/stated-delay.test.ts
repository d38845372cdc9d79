import { expect, test } from "bun:test";
import { boundedDelay, statedDelayMs, waitInWords } from "./stated-delay.ts";

test("retry-after-ms first, then Retry-After as seconds or an HTTP date; nothing readable is undefined", () => {
  expect(statedDelayMs({ "retry-after": "7", "retry-after-ms": "6500" })).toBe(6500);
  expect(statedDelayMs({ "retry-after": "17" })).toBe(17_000);
  expect(statedDelayMs({ "retry-after": "0" })).toBe(0);
  const now = Date.parse("Sat, 05 Dec 2026 04:00:00 GMT");
  expect(statedDelayMs({ "retry-after": "Sat, 05 Dec 2026 04:00:30 GMT" }, now)).toBe(30_000);
  expect(statedDelayMs({ "retry-after": "Sat, 05 Dec 2026 03:59:00 GMT" }, now)).toBe(0);
  expect(statedDelayMs({})).toBeUndefined();
  expect(statedDelayMs({ "retry-after": "soon", "retry-after-ms": "" })).toBeUndefined();
  expect(statedDelayMs({ "retry-after": "-3" })).toBeUndefined();
});

test("the wait a rate limit's words state: OpenAI's seconds, milliseconds and Go durations, seconds in words; none is undefined", () => {
  expect(waitInWords("… Requested 12528. Please try again in 11.054s. Visit https://…")).toBe(11_054);
  expect(waitInWords("Please try again in 28ms.")).toBe(28);
  expect(
    waitInWords("… on requests per day (RPD): Limit 200, Used 200, Requested 1. Please try again in 7m12s."),
  ).toBe(432_000);
  expect(waitInWords("Please try again in 35 seconds.")).toBe(35_000);
  expect(waitInWords("Rate limit reached, slow down.")).toBeUndefined();
  expect(waitInWords("Please try again in 5min")).toBeUndefined();
  expect(waitInWords(undefined)).toBeUndefined();
});

test("boundedDelay: a wait told whole seconds, a day at most, unreadable not told; headers told so already are themselves", () => {
  const now = Date.now();
  const said = { "retry-after": "7", "retry-after-ms": "6500", "x-should-retry": "true" };
  expect(boundedDelay(said)).toBe(said);
  const none = { "x-should-retry": "true" };
  expect(boundedDelay(none)).toBe(none);
  expect(boundedDelay({ "retry-after": "1.5" })).toEqual({ "retry-after": "2" });
  expect(boundedDelay({ "retry-after": new Date(now + 3_650 * 86_400_000).toUTCString() })).toEqual({
    "retry-after": "86400",
  });
  expect(boundedDelay({ "retry-after-ms": "1e24" })).toEqual({
    "retry-after": "86400",
    "retry-after-ms": "86400000",
  });
  // The ms unreadable: the wait is Retry-After's, told in it alone.
  expect(boundedDelay({ "retry-after": "3", "retry-after-ms": "soon" })).toEqual({ "retry-after": "3" });
  expect(boundedDelay({ "retry-after": "-5", "retry-after-ms": "-1", "x-should-retry": "true" })).toEqual(
    none,
  );
});
