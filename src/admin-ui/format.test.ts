import { describe, expect, test } from "bun:test";
import { statusClass, usd } from "./format.ts";

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
