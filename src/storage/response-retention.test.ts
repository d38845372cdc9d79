import { expect, test } from "bun:test";
import { createMemoryResponseStore } from "./memory/memory-response-store.ts";
import { type RepeatEvery, startResponseRetention } from "./response-retention.ts";

/** The schedule the retention asked for, with its pass run when the test says. */
function manualSchedule() {
  const schedule = { everyMs: 0, stopped: false, pass: async () => {} };
  const every: RepeatEvery = (task, ms) => {
    Object.assign(schedule, { pass: task, everyMs: ms });
    return () => {
      schedule.stopped = true;
    };
  };
  return { schedule, every };
}

test("responses older than the retention are pruned on schedule; newer ones stay", async () => {
  const store = createMemoryResponseStore();
  const record = (id: string, createdAt: number) => ({ tenant: "t", id, response: {}, items: [], createdAt });
  let now = 1_700_000_000_000;
  await store.save(record("old", now - 10_000));
  await store.save(record("new", now - 500));
  const { schedule, every } = manualSchedule();
  const stop = startResponseRetention(
    store,
    1000,
    (error) => {
      throw error;
    },
    () => now,
    every,
  );
  // A quarter of the retention, at least 250 ms.
  expect(schedule.everyMs).toBe(250);

  await schedule.pass();
  expect(await store.get("t", "old")).toBeNull();
  expect(await store.get("t", "new")).not.toBeNull();

  now += 1000;
  await schedule.pass();
  expect(await store.get("t", "new")).toBeNull();
  stop();
  expect(schedule.stopped).toBe(true);
});

test("one pass clears a backlog of any size: it goes on while full batches come back", async () => {
  // It stopped at 100 batches of 1,000, a pass a minute apart: above ~1,700 stored responses (or
  // shadow pairs) a second, more came in than a pass could delete, and the table grew for good.
  const store = createMemoryResponseStore();
  const now = 1_700_000_000_000;
  const backlog = 100_500;
  for (let i = 0; i < backlog; i++)
    await store.save({ tenant: "t", id: `old-${i}`, response: {}, items: [], createdAt: now - 10_000 });
  await store.save({ tenant: "t", id: "new", response: {}, items: [], createdAt: now });
  let deletes = 0;
  const counted = {
    prune: async (before: number, limit: number) => {
      deletes++;
      return await store.prune(before, limit);
    },
  };
  const { schedule, every } = manualSchedule();
  const stop = startResponseRetention(
    counted,
    1000,
    (error) => {
      throw error;
    },
    () => now,
    every,
  );
  await schedule.pass();
  stop();
  expect(await store.get("t", `old-${backlog - 1}`)).toBeNull();
  expect(await store.get("t", "new")).not.toBeNull();
  // 1,000 rows a delete: 100 full ones, then the 500 left.
  expect(deletes).toBe(101);
});

test("a stop ends a pass under way after its current batch", async () => {
  const store = createMemoryResponseStore();
  const now = 1_700_000_000_000;
  for (let i = 0; i < 5_000; i++)
    await store.save({ tenant: "t", id: `old-${i}`, response: {}, items: [], createdAt: now - 10_000 });
  let deletes = 0;
  const { schedule, every } = manualSchedule();
  const stop = startResponseRetention(
    {
      prune: async (before, limit) => {
        // The stop comes while the first batch is being deleted.
        if (++deletes === 1) stop();
        return await store.prune(before, limit);
      },
    },
    1000,
    (error) => {
      throw error;
    },
    () => now,
    every,
  );
  await schedule.pass();
  expect([deletes, schedule.stopped]).toEqual([1, true]);
});
