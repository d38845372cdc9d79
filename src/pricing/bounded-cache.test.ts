import { expect, test } from "bun:test";
import { cacheBounded } from "./bounded-cache.ts";

test("past its bound the entry cached longest ago goes first; setting a held key again evicts nothing", () => {
  const cache = new Map<string, number | null>();
  for (let i = 0; i < 5; i++) cacheBounded(cache, `name-${i}`, i, 3);
  expect([...cache]).toEqual([
    ["name-2", 2],
    ["name-3", 3],
    ["name-4", 4],
  ]);
  cacheBounded(cache, "name-3", null, 3);
  expect([...cache.keys()]).toEqual(["name-2", "name-3", "name-4"]);
  expect(cache.get("name-3")).toBeNull();
});
