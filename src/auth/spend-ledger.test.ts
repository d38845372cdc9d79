import { describe, expect, test } from "bun:test";
import { createMemorySpendStore } from "../storage/memory/memory-spend-store.ts";
import type { SpendStore } from "../storage/storage.ts";
import { waitForValue } from "../testing/wait-for.ts";
import { ENDED_PERIOD_KEPT_MS, SpendLedger, type SpendTask } from "./spend-ledger.ts";
import { manualClock } from "./test-support.ts";

/** A store that counts the totals each read hands back. */
function countingStore(inner: SpendStore) {
  const read: number[] = [];
  const store: SpendStore = {
    ...inner,
    async changedSince(cursor) {
      const changed = await inner.changedSince(cursor);
      read.push(changed.totals.size);
      return changed;
    },
  };
  return { store, read };
}

describe("SpendLedger reads back what changed", () => {
  test("the totals read per flush follow what was written, not the table's size", async () => {
    const inner = createMemorySpendStore();
    await inner.add(
      new Map(Array.from({ length: 10_000 }, (_, i) => [`jwt:default:user-${i}`, 0.01] as const)),
    );
    const { store, read } = countingStore(inner);
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    expect(read).toEqual([10_000]);
    expect(ledger.spent("jwt:default:user-7")).toBe(0.01);
    // Idle flushes read nothing back; a flush after one answer reads its one total.
    await ledger.flush();
    await ledger.flush();
    ledger.add("key_a", 0.25);
    await ledger.flush();
    expect(read.slice(1)).toEqual([0, 0, 1]);
    expect(ledger.spent("key_a")).toBe(0.25);
    // Another node's (or the CLI's) write is read back by the next flush, alone.
    await inner.add(new Map([["jwt:default:user-7", 1]]));
    await ledger.flush();
    expect(read.at(-1)).toBe(1);
    expect(ledger.spent("jwt:default:user-7")).toBe(1.01);
  });

  test("spend written but not yet read back still counts", async () => {
    const inner = createMemorySpendStore();
    let release = () => {};
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let hold = false;
    let reading = false;
    const store: SpendStore = {
      ...inner,
      async changedSince(cursor) {
        if (hold) {
          reading = true;
          await held;
        }
        return inner.changedSince(cursor);
      },
    };
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    hold = true;
    ledger.add("key_a", 2);
    const flushed = ledger.flush();
    await waitForValue("the flush to read the store", () => reading, 2_000, 0);
    expect(ledger.spent("key_a")).toBe(2);
    release();
    await flushed;
    expect(ledger.spent("key_a")).toBe(2);
  });

  test("a read that fails after the write keeps the spend, and the next read sets it from the store", async () => {
    const inner = createMemorySpendStore();
    let fail = false;
    const store: SpendStore = {
      ...inner,
      async changedSince(cursor) {
        if (fail) throw new Error("connection reset");
        return inner.changedSince(cursor);
      },
    };
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    fail = true;
    ledger.add("key_a", 2);
    await expect(ledger.flush()).rejects.toThrow("connection reset");
    expect(ledger.spent("key_a")).toBe(2);
    fail = false;
    await inner.add(new Map([["key_a", 1]]));
    await ledger.flush();
    expect(ledger.spent("key_a")).toBe(3);
  });

  test("a flush the store never confirmed is sent again whole, under its id, and counted once", async () => {
    const inner = createMemorySpendStore();
    // As PostgreSQL's store: an id it holds adds nothing; the first write lands, then is unconfirmed.
    const held = new Set<string | undefined>();
    const sent: { id: string | undefined; deltas: [string, number][] }[] = [];
    let confirm = false;
    const store: SpendStore = {
      ...inner,
      async add(deltas, id) {
        sent.push({ id, deltas: [...deltas] });
        if (held.has(id)) return;
        held.add(id);
        await inner.add(deltas);
        if (!confirm) throw new Error("the database never confirmed the write");
      },
    };
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    ledger.add("key_a", 0.25);
    await expect(ledger.flush()).rejects.toThrow("never confirmed");
    expect(ledger.spent("key_a")).toBe(0.25);
    confirm = true;
    ledger.add("key_a", 0.5);
    await ledger.flush();
    expect(sent.map((write) => write.deltas)).toEqual([
      [["key_a", 0.25]],
      [["key_a", 0.25]],
      [["key_a", 0.5]],
    ]);
    expect(sent[1]?.id).toBe(sent[0]?.id as string);
    expect(sent[2]?.id).not.toBe(sent[0]?.id as string);
    expect(await inner.total("key_a")).toBe(0.75);
    expect(ledger.spent("key_a")).toBe(0.75);
  });
});

/** A store whose reads (`changedSince`) and writes (`add`) fail while told to, counting both. */
function failingStore(inner: SpendStore) {
  const fails = { read: false, write: false };
  const calls = { read: 0, write: 0 };
  const store: SpendStore = {
    ...inner,
    async changedSince(cursor) {
      calls.read++;
      if (fails.read) throw new Error("connection refused");
      return inner.changedSince(cursor);
    },
    async add(deltas, id) {
      calls.write++;
      if (fails.write) throw new Error("connection refused");
      return inner.add(deltas, id);
    },
  };
  return { store, fails, calls };
}

describe("SpendLedger at a stop, and its failures named", () => {
  test("closing with no spend held asks nothing of the store: it resolves with the database down", async () => {
    const { store, fails, calls } = failingStore(createMemorySpendStore());
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    fails.read = fails.write = true;
    const before = { ...calls };
    await ledger.close();
    expect(calls).toEqual(before);
  });

  test("closing writes the spend held and reads nothing back: a read that would fail fails no stop", async () => {
    const inner = createMemorySpendStore();
    const { store, fails, calls } = failingStore(inner);
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    fails.read = true;
    ledger.add("key_a", 0.25);
    const reads = calls.read;
    await ledger.close();
    expect(await inner.total("key_a")).toBe(0.25);
    expect(calls.read).toBe(reads);
  });

  test("closing waits for a flush's write, not its read-back: a database that stopped answering holds no stop", async () => {
    const inner = createMemorySpendStore();
    const reads = { started: 0 };
    let answer = () => {};
    const store: SpendStore = {
      ...inner,
      async changedSince(cursor) {
        reads.started++;
        if (reads.started === 1) return inner.changedSince(cursor);
        // Black-holed: no answer until the test ends (in production, the store call's bound, ~29 s).
        await new Promise<void>((resolve) => {
          answer = resolve;
        });
        return inner.changedSince(cursor);
      },
    };
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    ledger.add("key_a", 0.25);
    const flushing = ledger.flush();
    await waitForValue("the flush's read-back sent", () => reads.started === 2);
    ledger.add("key_a", 0.5);
    await ledger.close();
    expect(await inner.total("key_a")).toBe(0.75);
    answer();
    await flushing;
  });

  test("spend added while closing writes is written before the close resolves", async () => {
    const inner = createMemorySpendStore();
    const writes = { started: 0 };
    let confirm = () => {};
    const store: SpendStore = {
      ...inner,
      async add(deltas, id) {
        writes.started++;
        if (writes.started === 1) {
          await new Promise<void>((resolve) => {
            confirm = resolve;
          });
        }
        return inner.add(deltas, id);
      },
    };
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    ledger.add("key_a", 1);
    const closing = ledger.close();
    await waitForValue("the close's write sent", () => writes.started === 1);
    // A request's end recorded while the close's write is out.
    ledger.add("key_a", 2);
    confirm();
    await closing;
    expect(await inner.total("key_a")).toBe(3);
  });

  test("closing with spend a failed write left still fails: that spend is unwritten", async () => {
    const inner = createMemorySpendStore();
    const { store, fails } = failingStore(inner);
    const ledger = new SpendLedger({ store, flushMs: 0 });
    await ledger.start();
    fails.write = true;
    ledger.add("key_a", 0.25);
    await expect(ledger.flush()).rejects.toThrow("connection refused");
    await expect(ledger.close()).rejects.toThrow("connection refused");
    fails.write = false;
    await ledger.close();
    expect(await inner.total("key_a")).toBe(0.25);
  });

  test("a periodic flush names what failed: the write, or the read-back alone as a refresh", async () => {
    const { store, fails } = failingStore(createMemorySpendStore());
    const failed: SpendTask[] = [];
    const ledger = new SpendLedger({ store, flushMs: 5, onError: (_error, task) => failed.push(task) });
    await ledger.start();
    fails.read = true;
    await waitForValue("a failed read-back", () => failed.length > 0);
    expect(failed[0]).toBe("refresh");
    fails.write = true;
    ledger.add("key_a", 1);
    await waitForValue("a failed write", () => failed.includes("write"));
    await ledger.close().catch(() => {});
  });
});

describe("SpendLedger lets ended budget periods go", () => {
  test("a tenant's day or month is deleted an hour after it ended; keys, JWT subjects and the current period stay", async () => {
    const clock = manualClock(Date.UTC(2026, 10, 6, 0, 30));
    const store = createMemorySpendStore();
    await store.add(
      new Map([
        ["tenant:acme:2026-11-05", 3],
        ["tenant:acme:2026-11-06", 1],
        ["tenant:acme:2026-10", 7],
        ["tenant:acme:2026-11", 4],
        ["key_a", 2],
        ["jwt:acme:bob", 5],
      ]),
    );
    const ledger = new SpendLedger({ store, flushMs: 0, now: clock.now });
    await ledger.start();
    // October ended a month ago; the 5th ended half an hour ago: kept a while yet.
    expect(await store.total("tenant:acme:2026-10")).toBe(0);
    expect(ledger.spent("tenant:acme:2026-10")).toBe(0);
    expect(ledger.spent("tenant:acme:2026-11-05")).toBe(3);
    clock.advance(ENDED_PERIOD_KEPT_MS);
    await ledger.flush();
    expect(await store.total("tenant:acme:2026-11-05")).toBe(0);
    expect(ledger.spent("tenant:acme:2026-11-05")).toBe(0);
    const left = (await store.changedSince(0)).totals;
    expect([...left.keys()].sort()).toEqual([
      "jwt:acme:bob",
      "key_a",
      "tenant:acme:2026-11",
      "tenant:acme:2026-11-06",
    ]);
    expect(ledger.spent("tenant:acme:2026-11")).toBe(4);
  });
});
