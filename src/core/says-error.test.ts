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

// The official OpenAI SDK throws on a chunk whose `error` is truthy (openai/core/streaming.js:
// `if (data && data.error)`): `true`, `1`, `[]` were relayed as good and audited 200 while it threw.
test("a top-level error as the OpenAI SDK reads it: truthy says one, null, false, empty words and zero do not", () => {
  for (const error of [true, 1, 0.5, -1, [], [1], {}, "x"])
    expect({ error, says: saysError({ error }) }).toEqual({ error, says: true });
  for (const error of [null, false, "", 0, -0, undefined])
    expect({ error, says: saysError({ error }) }).toEqual({ error, says: false });
});
