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
