import { expect, test } from "bun:test";
import { roundUsd } from "./round-usd.ts";

test("a sum's float noise is dropped; a tiny cost keeps its digits, a large total twelve of them", () => {
  let spent = 0;
  for (let i = 0; i < 11; i++) spent += 0.1;
  expect(spent).toBe(1.0999999999999999);
  expect(roundUsd(spent)).toBe(1.1);
  expect(roundUsd(5 - spent)).toBe(3.9);
  expect(roundUsd(0.000000153)).toBe(0.000000153);
  expect(roundUsd(123.456789012345)).toBe(123.456789012);
  expect(roundUsd(0)).toBe(0);
});
