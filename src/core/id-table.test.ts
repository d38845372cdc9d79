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

test("clear forgets everything open", () => {
  const table = new IdTable<{ n: number }, string>();
  table.set("a", { n: 1 });
  table.set("b", { n: 2 });
  table.clear();
  expect([table.size, table.get("a"), table.values()]).toEqual([0, undefined, []]);
  table.set("a", { n: 3 });
  expect(table.size).toBe(1);
});

test("string ids are plain keys, whatever they spell", () => {
  const table = new IdTable<{ n: number }, string>();
  table.set("__proto__", { n: 1 });
  table.set("7", { n: 2 });
  expect(table.get("__proto__")).toEqual({ n: 1 });
  expect(table.get("constructor")).toBeUndefined();
  expect(table.size).toBe(2);
  expect(table.delete("__proto__")).toBe(true);
  expect(table.values()).toEqual([{ n: 2 }]);
});
