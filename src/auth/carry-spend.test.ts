import { expect, test } from "bun:test";
import { createMemorySpendStore } from "../storage/memory/memory-spend-store.ts";
import { spendCarrier } from "./carry-spend.ts";
import type { Policy } from "./policy.ts";

test("without running totals (the CLI), the store's total of the old key is added to the new one's", async () => {
  const store = createMemorySpendStore();
  await store.add(new Map([["key_old", 0.25]]));
  await spendCarrier(store)("key_old", "key_new");
  expect(await store.total("key_new")).toBeCloseTo(0.25, 9);
  expect(await store.total("key_old")).toBeCloseTo(0.25, 9);
  await spendCarrier(store)("key_unused", "key_other");
  expect(await store.total("key_other")).toBe(0);
});

test("a policy that keeps running totals carries it there, not in the store", async () => {
  const store = createMemorySpendStore();
  const carried: [string, string][] = [];
  const policy = { carrySpend: (from: string, to: string) => carried.push([from, to]) } as unknown as Policy;
  await spendCarrier(store, () => policy)("key_old", "key_new");
  expect(carried).toEqual([["key_old", "key_new"]]);
  expect(await store.total("key_new")).toBe(0);
});
