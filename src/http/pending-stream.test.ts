import { describe, expect, test } from "bun:test";
import { within } from "./pending-stream.ts";

describe("within", () => {
  test("the promise's value when it settles first", async () => {
    expect(await within(Promise.resolve(7), 60_000)).toBe(7);
  });

  test("undefined once the time passed first", async () => {
    expect(await within(new Promise<number>(() => {}), 1)).toBeUndefined();
  });

  test("the promise's failure when it fails first", async () => {
    const failed = within(Promise.reject(new Error("boom")), 60_000);
    expect(await failed.catch((error: unknown) => (error as Error).message)).toBe("boom");
  });
});
