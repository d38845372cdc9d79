import { describe, expect, test } from "bun:test";
import { seededRandom } from "../testing/seeded-random.ts";
import { RequestLog } from "./request-log.ts";

/** The obvious model: keep every admitted timestamp, count those inside the window. */
function naive(windowMs: number) {
  const admitted: number[] = [];
  return (limit: number, now: number): boolean => {
    const inWindow = admitted.filter((t) => t > now - windowMs);
    if (inWindow.length >= limit) return false;
    admitted.push(now);
    return true;
  };
}

describe("RequestLog", () => {
  test("matches the naive sliding window on random traffic, limit changes included", () => {
    for (const seed of [1, 2, 3, 42]) {
      const random = seededRandom(seed);
      const log = new RequestLog(60_000);
      const model = naive(60_000);
      let now = 0;
      let limit = 7;
      for (let i = 0; i < 5000; i++) {
        now += Math.floor(random() * 6000);
        if (i % 700 === 0) limit = 1 + Math.floor(random() * 40);
        const expected = model(limit, now);
        expect([i, log.take(limit, now) === 0]).toEqual([i, expected]);
      }
    }
  });

  test("a huge limit costs memory for real traffic only", () => {
    const log = new RequestLog(60_000);
    for (let i = 0; i < 1000; i++) expect(log.take(1_000_000_000, i)).toBe(0);
    expect(log.used(1000)).toBe(1000);
  });
});
