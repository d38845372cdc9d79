import { expect, test } from "bun:test";
import { decimalInt, decimalIntField } from "./decimal-int.ts";

test("a number too big to hold exactly is no count: 400 digits were Infinity, 2^53+1 read as 2^53", () => {
  expect(decimalInt(String(Number.MAX_SAFE_INTEGER))).toBe(Number.MAX_SAFE_INTEGER);
  for (const text of ["9".repeat(400), "9007199254740993", "1".padEnd(310, "0")])
    expect({ text, read: decimalInt(text) }).toEqual({ text, read: undefined });
});

test('a field given a whole number too big to hold says its bound, never that it is no whole number nor "received Infinity"', () => {
  for (const text of ["99999999999999999999", "9007199254740993", "9".repeat(400)]) {
    const refused = decimalIntField(1, 1000).safeParse(text);
    expect({ text, said: refused.error?.issues[0]?.message }).toEqual({
      text,
      said: "Too big: expected number to be <=1000",
    });
  }
  const before = decimalIntField(1, Number.MAX_SAFE_INTEGER).safeParse("9007199254740993");
  expect(before.error?.issues[0]?.message).toBe("Too big: expected number to be <=9007199254740991");
  // Written otherwise, it is told how to write one.
  expect(decimalIntField(1, 1000).safeParse("1e2").error?.issues[0]?.message).toBe(
    "expected a whole number in decimal digits (16, not 0x10 or 1e2)",
  );
});
