import { describe, expect, test } from "bun:test";
import { backoffDelay, sleep } from "./backoff.ts";

describe("backoffDelay", () => {
  const options = { initialMs: 100, maxMs: 1000, jitter: 0.2 };

  test("doubles up to the cap", () => {
    const mid = () => 0.5;
    expect([1, 2, 3, 4, 5, 6].map((a) => backoffDelay(a, options, mid))).toEqual([
      100, 200, 400, 800, 1000, 1000,
    ]);
  });

  test("jitter spreads within the bounds", () => {
    expect(backoffDelay(1, options, () => 0)).toBe(80);
    expect(backoffDelay(1, options, () => 1)).toBe(120);
  });
});

describe("sleep", () => {
  test("ends at once when aborted", async () => {
    const controller = new AbortController();
    const slept = sleep(60_000, controller.signal);
    controller.abort();
    await slept;
    expect(controller.signal.aborted).toBe(true);
  });
});
