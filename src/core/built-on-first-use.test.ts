import { expect, test } from "bun:test";
import { builtOnFirstUse } from "./built-on-first-use.ts";

test("built on the first read, not before, and only once: later reads are the same value", () => {
  let builds = 0;
  const value = builtOnFirstUse(() => ({ built: ++builds }));
  expect(builds).toBe(0);
  const first = value();
  expect(value()).toBe(first);
  expect(builds).toBe(1);
});
