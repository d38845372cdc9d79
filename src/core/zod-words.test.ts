import { expect, test } from "bun:test";
import { expectedWords, valueAt, zodWords } from "./zod-words.ts";

test("zod's words for a bound or a closed set are said as a flag's, any other refusal as it was", () => {
  const said: [string, string][] = [
    ["Too small: expected number to be >=1", "must be at least 1"],
    ["Too big: expected number to be <=1000", "at most 1000"],
    ["Too small: expected number to be >0", "must be more than 0"],
    ["Too small: expected string to have >=1 characters", "empty"],
    ["Too small: expected string to have >=3 characters", "must be at least 3 characters"],
    ["Too big: expected string to have <=100 characters", "at most 100 characters"],
    ["Too big: expected array to have <=1000 items", "at most 1000 items"],
    ["Too small: expected array to have >=1 items", "empty"],
    ['Invalid option: expected one of "asc"|"desc"', "expected asc or desc"],
    ['Invalid option: expected one of "admin"|"user"|"worker"', "expected admin, user or worker"],
    ['Invalid option: expected one of "only"', "expected only"],
    ["expected a duration like 10m, 12h, 30d", "expected a duration like 10m, 12h, 30d"],
    [
      'Invalid option: expected one of "asc"|"desc" (got "x")',
      'Invalid option: expected one of "asc"|"desc" (got "x")',
    ],
  ];
  for (const [zod, words] of said) expect({ zod, words: zodWords(zod) }).toEqual({ zod, words });
});

test("a type zod expected in words, and the value an issue's path leads to", () => {
  expect(["int", "array", "string", "bigint"].map(expectedWords)).toEqual([
    "a whole number",
    "a list",
    "text",
    "bigint",
  ]);
  const json = { records: [{ id: "r", n: null }] };
  expect(valueAt(json, ["records", 0, "id"])).toBe("r");
  expect(valueAt(json, ["records", 0, "n"])).toBeNull();
  expect(valueAt(json, ["records", 0, "n", "deeper"])).toBeUndefined();
  expect(valueAt(json, ["records", 3, "id"])).toBeUndefined();
});
