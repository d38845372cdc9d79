import { expect, test } from "bun:test";
import { keptAfterChurn } from "../testing/kept-after-churn.ts";
import { KeyTable } from "./key-table.ts";

test("a key table gets, sets, deletes and counts as a Map does", () => {
  const table = new KeyTable<{ name: string }>();
  const a = { name: "a" };
  table.set("x", a);
  table.set("y", { name: "b" });
  table.set("x", a); // again: still one entry
  expect(table.size).toBe(2);
  expect([table.get("x"), table.has("y"), table.delete("y"), table.delete("y")]).toEqual([
    a,
    true,
    true,
    false,
  ]);
  expect(table.values()).toEqual([a]);
});

test("what left an old key table is not kept alive by young collections (an old Map kept it)", async () => {
  let next = 1_000_000;
  const table = new KeyTable<{ key: string }>();
  const kept = await keptAfterChurn(
    () => ({ key: `client-${next++}` }),
    (item) => {
      table.set(item.key, item);
      return item.key;
    },
    (key) => table.delete(key),
  );
  expect(kept).toBeLessThan(50);
  expect(table.size).toBe(0);
});

test("clear forgets everything open", () => {
  const table = new KeyTable<{ n: number }>();
  table.set("a", { n: 1 });
  table.set("b", { n: 2 });
  table.clear();
  expect([table.size, table.get("a"), table.values()]).toEqual([0, undefined, []]);
  table.set("a", { n: 3 });
  expect(table.size).toBe(1);
});

test("string keys are plain keys, whatever they spell", () => {
  const table = new KeyTable<{ n: number }>();
  table.set("__proto__", { n: 1 });
  table.set("7", { n: 2 });
  expect(table.get("__proto__")).toEqual({ n: 1 });
  expect(table.get("constructor")).toBeUndefined();
  expect(table.size).toBe(2);
  expect(table.delete("__proto__")).toBe(true);
  expect(table.values()).toEqual([{ n: 2 }]);
});
