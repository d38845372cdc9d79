import { describe, expect, test } from "bun:test";
import { count, ms, rateLimits, sampleRate, statusClass, usd } from "./format.ts";

describe("statusClass", () => {
  test("a status's colour class follows the audit filters' classes, a 101 upgrade its own", () => {
    expect([101, 200, 204, 304, 429, 503].map(statusClass)).toEqual(["s1", "s2", "s2", "s3", "s4", "s5"]);
  });
});

describe("usd", () => {
  test("below a cent, three significant digits: a cost of millionths is never $0.00000", () => {
    expect([0.00000255, 0.0000025499999999999997, 0.000004, 1e-7, 0.00123456, 0.001].map(usd)).toEqual([
      "$0.00000255",
      "$0.00000255",
      "$0.000004",
      "$0.0000001",
      "$0.00123",
      "$0.001",
    ]);
  });

  test("a cent and above in cents; nothing known is a dash", () => {
    expect([0, 0.01, 1.5, 12, 0.00999999].map(usd)).toEqual(["$0.00", "$0.01", "$1.50", "$12.00", "$0.01"]);
    expect([null, undefined].map(usd)).toEqual(["–", "–"]);
  });
});

describe("sampleRate", () => {
  test("a shadow's sample as configured, to the precision it was written with: never 0% for a non-zero rate", () => {
    expect([0.001, 0.0001, 1e-9, 0.0125, 0.07, 0.333, 0.5, 1, 0].map(sampleRate)).toEqual([
      "0.1%",
      "0.01%",
      "0.0000001%",
      "1.25%",
      "7%",
      "33.3%",
      "50%",
      "100%",
      "0%",
    ]);
  });

  test("a rate past six significant digits is cut there, no float's noise", () => {
    expect([1 / 3, 0.123456789].map(sampleRate)).toEqual(["33.3333%", "12.3457%"]);
  });
});

describe("count", () => {
  test("a figure that rounds to a thousand k reads as the next unit, never 1000.0k", () => {
    expect([999_999, 999_950, 999_949, 1_000_000, 10_000, 9_999, 0].map(count)).toEqual([
      "1.0M",
      "1.0M",
      "999.9k",
      "1.0M",
      "10.0k",
      "9999",
      "0",
    ]);
  });

  test("billions read in B: a figure that rounds to a thousand M reads 1.0B, never 1000.0M", () => {
    expect([999_949_999, 999_950_000, 1_500_000_000, 2_345_678_901_234].map(count)).toEqual([
      "999.9M",
      "1.0B",
      "1.5B",
      "2345.7B",
    ]);
  });
});

describe("ms", () => {
  test("a duration that rounds to a thousand ms reads in seconds, never 1000 ms", () => {
    expect([999.6, 999.5, 999.4, 1000, 1234, 0.4].map(ms)).toEqual([
      "1.00 s",
      "1.00 s",
      "999 ms",
      "1.00 s",
      "1.23 s",
      "0 ms",
    ]);
    expect([null, undefined].map(ms)).toEqual(["–", "–"]);
  });
});

describe("rateLimits", () => {
  test("each limit with its unit, a dash for one not set", () => {
    expect(rateLimits(60, 100_000)).toBe("60 rpm · 100000 tpm");
    expect(rateLimits(null, 5)).toBe("– rpm · 5 tpm");
    expect(rateLimits(undefined, 0)).toBe("– rpm · – tpm");
  });
});
