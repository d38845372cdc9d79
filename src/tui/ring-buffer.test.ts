import { describe, expect, test } from "bun:test";
import { RingBuffer } from "./ring-buffer.ts";

describe("RingBuffer", () => {
  test("keeps the newest items, newest first", () => {
    const ring = new RingBuffer<number>(3);
    for (let i = 1; i <= 5; i++) ring.push(i);
    expect(ring.size).toBe(3);
    expect(ring.pushed).toBe(5);
    expect(ring.newestFirst()).toEqual([5, 4, 3]);
  });

  test("reports the evicted item", () => {
    const ring = new RingBuffer<string>(2);
    expect(ring.push("a").evicted).toBeUndefined();
    ring.push("b");
    expect(ring.push("c")).toEqual({ seq: 2, evicted: "a" });
  });

  test("replaces held items by sequence, refuses evicted ones", () => {
    const ring = new RingBuffer<string>(2);
    ring.push("a");
    ring.push("b");
    expect(ring.set(1, "B")).toBe(true);
    ring.push("c");
    expect(ring.holds(0)).toBe(false);
    expect(ring.set(0, "A")).toBe(false);
    expect(ring.get(1)).toBe("B");
    expect(ring.newestFirst()).toEqual(["c", "B"]);
  });

  test("rejects a capacity below one", () => {
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});
