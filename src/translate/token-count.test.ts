import { expect, test } from "bun:test";
import { tokenCounter } from "./token-count.ts";

test("a special token's spelling in a caller's text is counted as plain text, not refused", async () => {
  const count = await tokenCounter();
  expect(count("hello <|endoftext|> world")).toBe(9);
  expect(count("<|im_start|>user")).toBeGreaterThan(1);
  expect(count("hello world")).toBe(2);
});
