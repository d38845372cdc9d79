import { expect, test } from "bun:test";
import { saysError } from "./says-error.ts";

test("an error object or words at the top say an error; null, false, empty words, none, or one deeper in do not", () => {
  expect(saysError({ error: { message: "x" } })).toBe(true);
  expect(saysError({ id: "c", error: { code: 502 }, choices: [] })).toBe(true);
  expect(saysError({ error: "Input validation error", error_type: "validation" })).toBe(true);
  expect(saysError({ error: null, choices: [] })).toBe(false);
  // Nor a flag or empty words said on a good chunk: no object, no words of an error.
  expect(saysError({ id: "c", error: false, choices: [] })).toBe(false);
  expect(saysError({ id: "c", error: "", choices: [] })).toBe(false);
  expect(saysError({ id: "c", error: 0, choices: [] })).toBe(false);
  expect(saysError({ choices: [] })).toBe(false);
  expect(saysError({ prompt_filter_results: [{ content_filter_results: { error: { code: "x" } } }] })).toBe(
    false,
  );
  expect(saysError(null)).toBe(false);
  expect(saysError("error")).toBe(false);
});
