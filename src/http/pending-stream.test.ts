import { describe, expect, spyOn, test } from "bun:test";
import { deadlineListOf } from "../core/deadline-list.ts";
import { waitFor } from "../testing/wait-for.ts";
import { type ValueWithin, valueWithin } from "./pending-stream.ts";

/** The wait's outcome as the waiter sees it: its value, or its failure's message. */
async function outcomeOf<T>(wait: ValueWithin<T>): Promise<T | undefined | string> {
  try {
    return await wait;
  } catch (error) {
    return `failed: ${(error as Error).message}`;
  }
}

describe("valueWithin", () => {
  test("the promise's value when it settles first", async () => {
    expect(await valueWithin(Promise.resolve(7), 60_000)).toBe(7);
  });

  test("undefined once the time passed first", async () => {
    expect(await valueWithin(new Promise<number>(() => {}), 1)).toBeUndefined();
  });

  test("no promise of its own: awaiting the wait takes no `Promise.withResolvers`", async () => {
    const made = spyOn(Promise, "withResolvers");
    try {
      const wait = valueWithin(Promise.resolve(7), 60_000);
      expect(await wait).toBe(7);
      wait.leave();
      expect(made).not.toHaveBeenCalled();
    } finally {
      made.mockRestore();
    }
  });

  test("told when its wait began (a reading taken in the same run), it reads no clock of its own", async () => {
    const clock = spyOn(performance, "now");
    try {
      // A delay no other wait here uses: its deadline list is made under the spy, and reads through it.
      const delayMs = 59_999;
      const own = valueWithin(Promise.resolve(1), delayMs);
      expect(clock).toHaveBeenCalledTimes(1);
      const startedMs = performance.now();
      const told = valueWithin(Promise.resolve(2), delayMs, startedMs);
      expect(clock).toHaveBeenCalledTimes(2);
      expect([await own, await told]).toEqual([1, 2]);
      own.leave();
      told.leave();
    } finally {
      clock.mockRestore();
    }
  });

  test("no timer of its own: a wait is in its delay's deadline list until its waiter leaves it", async () => {
    const list = deadlineListOf(43_210);
    const settle = Promise.withResolvers<number>();
    const waiting = valueWithin(settle.promise, 43_210);
    expect(list.size).toBe(1);
    settle.resolve(7);
    expect(await waiting).toBe(7);
    waiting.leave();
    expect(list.size).toBe(0);
    const failing = Promise.withResolvers<number>();
    const failed = valueWithin(failing.promise, 43_210);
    expect(list.size).toBe(1);
    failing.reject(new Error("boom"));
    expect(await outcomeOf(failed)).toBe("failed: boom");
    failed.leave();
    expect(list.size).toBe(0);
  });

  test("a wait that expired has left its list, and the promise settling later changes nothing", async () => {
    const list = deadlineListOf(1);
    const settle = Promise.withResolvers<number>();
    const waiting = valueWithin(settle.promise, 1);
    const outcome = outcomeOf(waiting);
    expect(await outcome).toBeUndefined();
    expect(list.size).toBe(0);
    settle.reject(new Error("late"));
    waiting.leave();
    expect(await outcome).toBeUndefined();
    expect(list.size).toBe(0);
  });

  test("a wait awaited after its deadline passed settles with undefined", async () => {
    const list = deadlineListOf(2);
    const waiting = valueWithin(new Promise<number>(() => {}), 2);
    await waitFor("the wait's deadline", () => list.size === 0);
    expect(await waiting).toBeUndefined();
  });

  test("the promise's failure when it fails first", async () => {
    const failed = valueWithin(Promise.reject(new Error("boom")), 60_000);
    expect(await outcomeOf(failed)).toBe("failed: boom");
    failed.leave();
  });
});
