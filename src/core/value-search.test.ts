import { expect, test } from "bun:test";
import { ValueSearch } from "./value-search.ts";

test("every string held is found wherever it is, the longest at a place, none shorter than the width", () => {
  const search = new ValueSearch(
    ["upstreamKey0123", "upstreamKey0123-rotated", "otherSecret9876", "short"],
    8,
  );
  expect(search.replaceAll("a upstreamKey0123-rotated b upstreamKey0123", "[r]")).toBe("a [r] b [r]");
  expect(search.replaceAll("otherSecret9876otherSecret9876", "[r]")).toBe("[r][r]");
  expect(search.replaceAll("upstreamKey012 short", "[r]")).toBe("upstreamKey012 short");
  expect(search.holdsAny("x otherSecret9876")).toBe(true);
  expect(search.holdsAny("otherSecret987")).toBe(false);
  const said = "nothing held here";
  expect(search.replaceAll(said, "[r]")).toBe(said);
});

test("a thousand strings, each found, in one pass", () => {
  const values = Array.from({ length: 1000 }, (_, i) => `credential-${i.toString().padStart(4, "0")}-value`);
  const search = new ValueSearch(values, 8);
  for (const value of [values[0], values[499], values[999]])
    expect(search.replaceAll(`key ${value} refused`, "[r]")).toBe("key [r] refused");
  expect(new ValueSearch([], 8).empty).toBe(true);
});
