import { describe, expect, test } from "bun:test";
import { EventQueue } from "./event-queue.ts";

const filled = (max: number, count: number) => {
  const queue = new EventQueue<number>(max);
  for (let i = 0; i < count; i++) queue.push(i);
  return queue;
};

describe("EventQueue", () => {
  test("keeps order; past its bound the oldest goes, one a push, and the push says so", () => {
    const queue = new EventQueue<number>(3);
    expect([1, 2, 3].map((n) => queue.push(n))).toEqual([0, 0, 0]);
    expect(queue.push(4)).toBe(1);
    expect(queue.peek(10)).toEqual([2, 3, 4]);
    expect(queue.length).toBe(3);
  });

  test("peek leaves the items, take and drop remove them from the front", () => {
    const queue = filled(10, 6);
    expect(queue.peek(2)).toEqual([0, 1]);
    expect(queue.take(2)).toEqual([0, 1]);
    queue.drop(1);
    expect(queue.peek(10)).toEqual([3, 4, 5]);
    queue.drop(99);
    expect(queue.length).toBe(0);
    expect(queue.take(5)).toEqual([]);
    queue.drop(-3);
    expect(queue.length).toBe(0);
  });

  test("clear empties it and says how many it held", () => {
    const queue = filled(10, 4);
    expect(queue.clear()).toBe(4);
    expect(queue.clear()).toBe(0);
    queue.push(7);
    expect(queue.peek(1)).toEqual([7]);
  });

  test("dropBefore lets go only of what is still held before the position", () => {
    const queue = filled(5, 5);
    const from = queue.start;
    const batch = queue.peek(3); // in flight: 0, 1, 2
    expect(batch).toEqual([0, 1, 2]);
    // Two publishes meanwhile let 0 and 1 go to make room.
    expect(queue.push(5) + queue.push(6)).toBe(2);
    queue.dropBefore(from + batch.length);
    expect(queue.peek(10)).toEqual([3, 4, 5, 6]);
    expect(queue.start).toBe(3);
  });

  test("a full queue stays in order through many pushes, its array made anew as its front is spent", () => {
    const queue = filled(2_000, 50_000);
    expect(queue.length).toBe(2_000);
    expect(queue.peek(1)).toEqual([48_000]);
    expect(queue.take(3)).toEqual([48_000, 48_001, 48_002]);
    expect(queue.start).toBe(48_003);
    expect(queue.peek(2_000).at(-1)).toBe(49_999);
  });
});
