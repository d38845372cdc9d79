import { describe, expect, test } from "bun:test";
import { deadlineListOf } from "../core/deadline-list.ts";
import { within } from "./pending-stream.ts";

describe("within", () => {
  test("the promise's value when it settles first", async () => {
    expect(await within(Promise.resolve(7), 60_000).settled).toBe(7);
  });

  test("undefined once the time passed first", async () => {
    expect(await within(new Promise<number>(() => {}), 1).settled).toBeUndefined();
  });

  test("no timer of its own: a wait is in its delay's deadline list until its waiter leaves it", async () => {
    const list = deadlineListOf(43_210);
    const settle = Promise.withResolvers<number>();
    const waiting = within(settle.promise, 43_210);
    expect(list.size).toBe(1);
    settle.resolve(7);
    expect(await waiting.settled).toBe(7);
    waiting.leave();
    expect(list.size).toBe(0);
    const failing = Promise.withResolvers<number>();
    const failed = within(failing.promise, 43_210);
    expect(list.size).toBe(1);
    failing.reject(new Error("boom"));
    expect(await failed.settled.catch(() => "failed")).toBe("failed");
    failed.leave();
    expect(list.size).toBe(0);
  });

  test("a wait that expired has left its list, and the promise settling later changes nothing", async () => {
    const list = deadlineListOf(1);
    const settle = Promise.withResolvers<number>();
    const waiting = within(settle.promise, 1);
    expect(await waiting.settled).toBeUndefined();
    expect(list.size).toBe(0);
    settle.reject(new Error("late"));
    waiting.leave();
    expect(await waiting.settled).toBeUndefined();
    expect(list.size).toBe(0);
  });

  test("the promise's failure when it fails first", async () => {
    const failed = within(Promise.reject(new Error("boom")), 60_000);
    expect(await failed.settled.catch((error: unknown) => (error as Error).message)).toBe("boom");
    failed.leave();
  });
});
