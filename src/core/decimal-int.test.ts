import { expect, test } from "bun:test";
import { decimalInt, decimalIntField } from "./decimal-int.ts";

test("a number too big to hold exactly is no count: 400 digits were Infinity, 2^53+1 read as 2^53", () => {
  expect(decimalInt(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  for (const text of ["9".repeat(400), "9007199254740993", "1".padEnd(310, "0")])
    expect({ text, read: decimalInt(text) }).toEqual({ text, read: undefined });
  // A field says so as it says any other count written wrong, never "received Infinity".
  const refused = decimalIntField(1, 1000).safeParse("9".repeat(400));
  expect(refused.error?.issues.map((issue) => issue.message)).toEqual([
    "expected a whole number in decimal digits (16, not 0x10 or 1e2)",
  ]);
});
