import { expect, test } from "bun:test";
import { dollars } from "./dollars.ts";

test("a dollar figure keeps four decimals, and below a cent three significant digits", () => {
  expect(dollars(12.5)).toBe("$12.5000");
  expect(dollars(1234.56789)).toBe("$1234.5679");
  expect(dollars(0.05)).toBe("$0.0500");
  expect(dollars(0)).toBe("$0.0000");
  expect(dollars(0.00123456)).toBe("$0.00123");
  expect(dollars(0.000011)).toBe("$0.000011");
  expect(dollars(0.0000025499999999999997)).toBe("$0.00000255");
  // A sum's float noise is not shown.
  expect(dollars(1.0999999999999999)).toBe("$1.1000");
  expect(dollars(0.000011 * 3)).toBe("$0.000033");
});
