import { expect, test } from "bun:test";
import { checkDelay } from "./idle-check.ts";

test("the idle check waits a session's end and 2 s; an end that is no number (JSON null from a NaN, or absent) arms none", () => {
  expect(checkDelay(60_000)).toBe(62_000);
  expect(checkDelay(0)).toBe(2_000);
  for (const none of [undefined, null, Number.NaN, Number.POSITIVE_INFINITY, "60000"])
    expect(checkDelay(none)).toBeUndefined();
});
