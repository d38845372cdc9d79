import { expect, test } from "bun:test";
import { cacheBounded, cachedAndTouched } from "./bounded-cache.ts";

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

test("a hit keeps its entry: past the bound the one used longest ago goes, not the one cached first", () => {
  const cache = new Map<string, number>();
  let lookups = 0;
  const look = (name: string) => {
    if (cachedAndTouched(cache, name)) return cache.get(name);
    cacheBounded(cache, name, ++lookups, 3);
    return lookups;
  };
  look("real-model");
  // Made-up names flood in; the real model answers between them and stays cached.
  for (let i = 0; i < 10; i++) {
    look(`made-up-${i}`);
    expect(look("real-model")).toBe(1);
  }
  expect(lookups).toBe(11);
  expect(cache.has("real-model")).toBe(true);
  expect(cache.size).toBe(3);
});
