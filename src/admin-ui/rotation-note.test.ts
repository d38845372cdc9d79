import { expect, test } from "bun:test";
import { clock, time } from "./format.ts";
import { rotationNote } from "./rotation-note.ts";

const NOW = Date.parse("2026-12-06T10:00:00Z");
const at = (ms: number) => new Date(ms).toISOString();

test("the old key's end is the one the gateway wrote, which a grace past the key's own expiry does not lengthen", () => {
  const soon = NOW + 5 * 60_000;
  expect(rotationNote("1h", at(soon), NOW)).toBe(`rotated; the old key works until ${clock(soon)}`);
  const hour = NOW + 3_600_000;
  expect(rotationNote("1h", at(hour), NOW)).toBe(`rotated; the old key works until ${clock(hour)}`);
  // Past a day, the time of day alone would not say which day.
  const week = NOW + 7 * 86_400_000;
  expect(rotationNote("7d", at(week), NOW)).toBe(
    `rotated; the old key works until ${time(week).slice(0, 19)}`,
  );
});

test("an old key ended at once says so; a gateway that sent no end is quoted the grace asked for", () => {
  expect(rotationNote("0s", at(NOW), NOW)).toBe("rotated; the old key no longer works");
  expect(rotationNote("1h", null, NOW)).toBe("rotated; the old key works for 1h more");
});
