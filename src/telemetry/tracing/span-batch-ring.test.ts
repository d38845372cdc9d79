import { afterEach, expect, spyOn, test } from "bun:test";
import { ringCountLimit } from "./ring-counts.ts";
import { BatchRing, BatchRingReader, type RingBatch } from "./span-batch-ring.ts";

// Who wakes the export thread (span-batch-ring.ts): a reader asleep is notified; one that looks on
// its own clock while the batches keep coming is not, and still takes every batch, in order; one
// that fell behind is notified again. The reader runs on this thread here (the ring is the same
// shared memory either way), its pace read from a clock the test moves.

const batch = (id: number): RingBatch => ({
  id,
  spans: 2,
  numbersMemory: 1,
  numbersLength: 10,
  stringsMemory: 1,
  stringsLength: 4,
});

/** A ring and its reader, the batches it took, and a promise for the next one taken. */
function ringAndReader(countsFrom = 0) {
  const ring = new BatchRing(4, countsFrom);
  let clock = 0;
  const taken: number[] = [];
  let next: (() => void) | undefined;
  const reader = new BatchRingReader(
    ring.memory,
    (b) => {
      taken.push(b.id);
      next?.();
    },
    () => clock,
  );
  reader.waitForBatches();
  const takenNext = () => new Promise<void>((resolve) => (next = resolve));
  return {
    ring,
    taken,
    /** Publishes batch `id` at `at` ms of the reader's clock and waits until it is taken. */
    async publish(id: number, at: number) {
      clock = at;
      const took = takenNext();
      expect(ring.publish(batch(id))).toBe(true);
      await took;
    },
  };
}

const notify = spyOn(Atomics, "notify");
const waitAsync = spyOn(Atomics, "waitAsync");
afterEach(() => {
  notify.mockClear();
  waitAsync.mockClear();
});

test("a reader asleep is notified; one that looks on its own timer while batches come is not, begins no wait a look, and takes each", async () => {
  const { publish, taken } = ringAndReader();
  await publish(1, 100);
  await publish(2, 105);
  // Asleep for both: the first only starts the pace.
  expect(notify).toHaveBeenCalledTimes(2);
  // From here batches ~5 ms apart: the reader looks again every ~5 ms, nobody wakes it.
  waitAsync.mockClear();
  for (let id = 3; id <= 8; id++) await publish(id, 105 + 5 * (id - 2));
  expect(notify).toHaveBeenCalledTimes(2);
  // Its looks are timers beside one wait left pending: a timed wait on the ring a look cost the
  // thread ~40–60 µs a look more (a task through its own event loop, span-batch-ring.ts).
  expect(waitAsync).toHaveBeenCalledTimes(0);
  expect(taken).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
});

test("a batch published while the one before is still untaken wakes the reader", async () => {
  const { ring, publish, taken } = ringAndReader();
  await publish(1, 100);
  await publish(2, 103);
  notify.mockClear();
  // Two at once: the second finds the first untaken (the reader's look has not come) and notifies.
  const second = new Promise<void>((resolve) => {
    const check = () => (taken.length >= 4 ? resolve() : setImmediate(check));
    check();
  });
  expect(ring.publish(batch(3))).toBe(true);
  expect(notify).toHaveBeenCalledTimes(0);
  expect(ring.publish(batch(4))).toBe(true);
  expect(notify).toHaveBeenCalledTimes(1);
  await second;
  expect(taken).toEqual([1, 2, 3, 4]);
});

test("a reader looking on its own timer still waits on the ring, and a batch published over an untaken one wakes it", async () => {
  const { ring, publish, taken } = ringAndReader();
  await publish(1, 100);
  // 90 ms apart: the reader's next look is ~90 ms off, and meanwhile it waits on the ring.
  await publish(2, 190);
  const last = waitAsync.mock.results.at(-1)?.value as ReturnType<typeof Atomics.waitAsync>;
  expect(last.async).toBe(true);
  const wait = last.value as Promise<string>;
  expect(Bun.peek.status(wait)).toBe("pending");
  const both = new Promise<void>((resolve) => {
    const check = () => (taken.length >= 4 ? resolve() : setImmediate(check));
    check();
  });
  expect(ring.publish(batch(3))).toBe(true);
  expect(ring.publish(batch(4))).toBe(true);
  // That wait woken by the second's notify, not ended by a timeout.
  expect(await wait).toBe("ok");
  await both;
  expect(taken).toEqual([1, 2, 3, 4]);
});

test("a reader whose looks find nothing goes back to sleep, and the next batch is notified", async () => {
  const { ring, publish, taken } = ringAndReader();
  await publish(1, 100);
  await publish(2, 102);
  // No batch comes: after a look at ~2 ms and a few sooner ones, it sleeps (the flag, cell 2).
  const cells = new Int32Array(ring.memory);
  await new Promise<void>((resolve) => {
    const check = () => (Atomics.load(cells, 2) === 1 ? resolve() : setImmediate(check));
    check();
  });
  notify.mockClear();
  await publish(3, 5000);
  expect(notify).toHaveBeenCalledTimes(1);
  expect(taken).toEqual([1, 2, 3]);
});

test("the counts wrap without losing a batch: a ring that has carried 2^30 batches goes on", async () => {
  // Counted on for good, the cells would turn negative past 2^31 and the reader stop (ring-counts.ts).
  const { ring, publish, taken } = ringAndReader(ringCountLimit(4) - 3);
  for (let id = 1; id <= 10; id++) await publish(id, 100 + 5 * id);
  expect(taken).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  // Where the counts are now: past the wrap, small again.
  expect(new Int32Array(ring.memory)[0]).toBe(7);
});
