/**
 * The storage contract, every backend (storage-contract-fixture.ts, split from
 * storage-contract.test.ts): spend deltas, totals, and readers following every writer.
 */
import { describe, expect, test } from "bun:test";
import { contractBackends } from "./storage-contract-fixture.ts";

for (const [name, fresh, shared] of contractBackends()) {
  describe(`Storage contract: ${name}`, () => {
    test("spend: deltas add up per principal", async () => {
      const { spend } = await fresh();
      await spend.add(
        new Map([
          ["a", 0.25],
          ["b", 1],
        ]),
      );
      await spend.add(
        new Map([
          ["a", 0.5],
          ["c", 0],
        ]),
      );
      expect(await spend.total("a")).toBeCloseTo(0.75);
      expect(await spend.total("missing")).toBe(0);
      expect([...(await spend.changedSince(0)).totals].sort()).toEqual([
        ["a", 0.75],
        ["b", 1],
      ]);
    });

    test("spend: totals reads many principals' totals at once, those with none absent", async () => {
      const { spend } = await fresh();
      // More than one statement's worth on SQLite (500 a statement).
      const ids = Array.from({ length: 1_200 }, (_, i) => `tenant:t${i}:2026-11`);
      await spend.add(new Map(ids.filter((_, i) => i % 3 === 0).map((id, i) => [id, i + 0.5] as const)));
      const totals = await spend.totals?.([...ids, "never-written"]);
      expect(totals?.size).toBe(400);
      expect(totals?.get("tenant:t0:2026-11")).toBe(0.5);
      expect(totals?.get("tenant:t1197:2026-11")).toBe(399.5);
      expect(totals?.has("tenant:t1:2026-11")).toBe(false);
      expect(await spend.totals?.([])).toEqual(new Map());
    });

    test("spend: a reader follows every writer from its cursor, reading only the totals that changed", async () => {
      const storage = await fresh();
      const { spend } = storage;
      await spend.add(new Map(Array.from({ length: 200 }, (_, i) => [`key_${i}`, 1] as const)));
      const start = await spend.changedSince(0);
      expect(start.totals.size).toBe(200);
      expect(await spend.changedSince(start.cursor)).toEqual({ totals: new Map(), cursor: start.cursor });
      // Two writes: the reader finds both principals, at their totals, and nothing else.
      await spend.add(new Map([["key_3", 0.5]]));
      await spend.add(new Map([["tenant:acme:2026-11", 2]]));
      const next = await spend.changedSince(start.cursor);
      expect(next.totals).toEqual(
        new Map([
          ["key_3", 1.5],
          ["tenant:acme:2026-11", 2],
        ]),
      );
      expect(next.cursor).toBeGreaterThan(start.cursor);
      expect((await spend.changedSince(next.cursor)).totals.size).toBe(0);
      // Removed totals are gone; the others are untouched.
      await spend.remove(["tenant:acme:2026-11", "key_0", "never-written"]);
      expect(await spend.total("tenant:acme:2026-11")).toBe(0);
      expect(await spend.total("key_0")).toBe(0);
      expect(await spend.total("key_1")).toBe(1);
      expect((await spend.changedSince(0)).totals.size).toBe(199);
      await spend.remove([]);
    });

    test("spend: a reader follows another node's writes, and a previous release's node's, which leave seq alone", async () => {
      const database = await shared();
      const reader = await database.open();
      const other = await database.open();
      await reader.spend.add(new Map([["k1", 1]]));
      const start = await reader.spend.changedSince(0);
      await Promise.all([
        reader.spend.add(new Map([["k1", 1]])),
        other.spend.add(new Map([["k2", 2]])),
        database.addSpendAsPreviousRelease("k1", 50),
        database.addSpendAsPreviousRelease("k3", 70),
      ]);
      const next = await reader.spend.changedSince(start.cursor);
      expect(next.totals).toEqual(
        new Map([
          ["k1", 52],
          ["k2", 2],
          ["k3", 70],
        ]),
      );
      // The newest total removed, the next write still takes a number the reader has not passed.
      await other.spend.add(new Map([["k4", 1]]));
      const last = await reader.spend.changedSince(next.cursor);
      await other.spend.remove(["k4"]);
      await database.addSpendAsPreviousRelease("k5", 5);
      expect((await reader.spend.changedSince(last.cursor)).totals).toEqual(new Map([["k5", 5]]));
    });
  });
}
