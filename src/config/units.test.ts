import { describe, expect, test } from "bun:test";
import { parseDuration, parseSize } from "./units.ts";

describe("parseDuration", () => {
  test.each([
    ["500ms", 500],
    ["30s", 30_000],
    ["10m", 600_000],
    ["2h", 7_200_000],
    ["30d", 2_592_000_000],
    ["1.5s", 1500],
    [" 20 S ", 20_000],
    ["0", 0],
    [0, 0],
  ] as const)("%p → %p ms", (input, ms) => {
    expect(parseDuration(input)).toBe(ms);
  });

  test.each(["", "fast", "10 minutes", "-5s", "1e3", "5w", "250", "60"])("%p is not a duration", (input) => {
    expect(parseDuration(input)).toBeUndefined();
  });

  test("a bare number needs a unit (idle: 60 is not 60 ms), except 0", () => {
    expect(parseDuration(60)).toBeUndefined();
    expect(parseDuration(750)).toBeUndefined();
    expect(parseDuration(-1)).toBeUndefined();
    expect(parseDuration(Number.POSITIVE_INFINITY)).toBeUndefined();
  });
});

describe("parseSize", () => {
  test.each([
    ["10MB", 10 * 1024 * 1024],
    ["512KB", 512 * 1024],
    ["1GB", 1024 ** 3],
    ["1.5kb", 1536],
    ["100b", 100],
    ["4096", 4096],
    [2048, 2048],
  ] as const)("%p → %p bytes", (input, bytes) => {
    expect(parseSize(input)).toBe(bytes);
  });

  test.each(["", "big", "10 megabytes", "-1MB", "1TB"])("%p is not a size", (input) => {
    expect(parseSize(input)).toBeUndefined();
  });

  test("a fractional or negative number of bytes is refused", () => {
    expect(parseSize(1.5)).toBeUndefined();
    expect(parseSize(-1)).toBeUndefined();
  });
});
