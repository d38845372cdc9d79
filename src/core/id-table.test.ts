import { expect, test } from "bun:test";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import { IdTable } from "./id-table.ts";

test("an id table gets, sets, deletes and counts as a Map does", () => {
  const table = new IdTable<{ name: string }>();
  const a = { name: "a" };
  table.set(1, a);
  table.set(2, { name: "b" });
  table.set(1, a); // again: still one entry
  expect(table.size).toBe(2);
  expect(table.get(1)).toBe(a);
  expect(table.has(2)).toBe(true);
  expect(table.delete(2)).toBe(true);
  expect(table.delete(2)).toBe(false);
  expect(table.has(2)).toBe(false);
  expect(table.get(3)).toBeUndefined();
  expect(table.values()).toEqual([a]);
  // A copy: deleting while going through it is safe.
  for (const value of table.values()) table.delete(value === a ? 1 : 0);
  expect(table.size).toBe(0);
});

test("what left an old id table is not kept alive by young collections (an old Map kept it)", async () => {
  let next = 1_000_000;
  const table = new IdTable<{ id: number }>();
  const kept = await keptAfterChurn(
    () => ({ id: next++ }),
    (item) => {
      table.set(item.id, item);
      return item.id;
    },
    (id) => table.delete(id),
  );
  // A Map<number, …> used so kept 321 of 500.
  expect(kept).toBeLessThan(50);
  expect(table.size).toBe(0);
});

test("integer ids that rise without end, a few open at once, keep what each holds", () => {
  const table = new IdTable<{ id: number }>();
  const open: number[] = [];
  for (let id = 1; id <= 20_000; id++) {
    table.set(id, { id });
    open.push(id);
    // Out of order now and then, as calls end.
    if (open.length > 40) {
      const ending = open.splice(id % 7 === 0 ? 0 : open.length - 40, 1)[0] as number;
      expect(table.get(ending)).toEqual({ id: ending });
      expect(table.delete(ending)).toBe(true);
      expect(table.has(ending)).toBe(false);
    }
  }
  expect(table.size).toBe(open.length);
  for (const id of open) expect(table.get(id)).toEqual({ id });
  expect(table.values().map((value) => value.id)).toEqual([...open].sort((a, b) => a - b));
});

test("any number is an id: negative, huge, not an integer", () => {
  const table = new IdTable<{ n: number }>();
  const ids = [-1, 0, 2 ** 40 + 3, 2 ** 32 + 1, 1, 1.5, Number.NaN];
  for (const [n, id] of ids.entries()) table.set(id, { n });
  expect(table.size).toBe(ids.length);
  for (const [n, id] of ids.entries()) expect(table.get(id)).toEqual({ n });
  expect(table.delete(Number.NaN)).toBe(true);
  expect(table.has(Number.NaN)).toBe(false);
  expect(table.delete(2 ** 32 + 1)).toBe(true);
  expect(table.get(1)).toEqual({ n: 4 });
  expect(table.size).toBe(ids.length - 2);
  table.clear();
  expect([table.size, table.get(0), table.values()]).toEqual([0, undefined, []]);
});

test("integer ids agree with a Map through any order of sets and deletes (colliding ids too)", () => {
  const table = new IdTable<{ v: number }>();
  const reference = new Map<number, { v: number }>();
  let seed = 12345;
  const random = (below: number) => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed % below;
  };
  for (let step = 0; step < 50_000; step++) {
    // Ids 64 apart share a home slot in every table up to 64 slots; a few hundred keep it busy.
    const id = random(300) * (random(2) === 0 ? 1 : 64);
    if (random(3) === 0) expect(table.delete(id)).toBe(reference.delete(id));
    else {
      const value = { v: step };
      table.set(id, value);
      reference.set(id, value);
    }
    expect(table.get(id)).toBe(reference.get(id));
  }
  expect(table.size).toBe(reference.size);
  for (const [id, value] of reference) expect(table.get(id)).toBe(value);
  const ascending = [...reference.keys()].sort((a, b) => a - b).map((id) => reference.get(id));
  expect(table.values()).toEqual(ascending as { v: number }[]);
});
