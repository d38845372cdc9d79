import { describe, expect, test } from "bun:test";
import { deadlineListOf } from "../core/deadline-list.ts";
import { within } from "./pending-stream.ts";

describe("within", () => {
  test("the promise's value when it settles first", async () => {
    expect(await within(Promise.resolve(7), 60_000)).toBe(7);
  });

  test("undefined once the time passed first", async () => {
    expect(await within(new Promise<number>(() => {}), 1)).toBeUndefined();
  });

  test("no timer of its own: a wait is in its delay's deadline list until it settles, then leaves it", async () => {
    const list = deadlineListOf(43_210);
    const settle = Promise.withResolvers<number>();
    const waiting = within(settle.promise, 43_210);
    expect(list.size).toBe(1);
    settle.resolve(7);
    expect(await waiting).toBe(7);
    expect(list.size).toBe(0);
    const failing = Promise.withResolvers<number>();
    const failed = within(failing.promise, 43_210).catch(() => "failed");
    expect(list.size).toBe(1);
    failing.reject(new Error("boom"));
    expect(await failed).toBe("failed");
    expect(list.size).toBe(0);
  });

  test("the promise's failure when it fails first", async () => {
    const failed = within(Promise.reject(new Error("boom")), 60_000);
    expect(await failed.catch((error: unknown) => (error as Error).message)).toBe("boom");
  });
});
