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

  test("a batch taken while in flight is never let go for room; put back unsent, the oldest over the bound go", () => {
    const queue = filled(5, 5);
    const batch = queue.take(3); // in flight: 0, 1, 2
    expect(batch).toEqual([0, 1, 2]);
    // Publishes meanwhile fit beside it: nothing is let go.
    expect(queue.push(5) + queue.push(6) + queue.push(7)).toBe(0);
    // All sent but the last: 2 comes back to the front, one over the bound, and is the one let go.
    expect(queue.putBack(batch.slice(2))).toBe(1);
    expect(queue.peek(10)).toEqual([3, 4, 5, 6, 7]);
    // Put back where there is room: in order, at the front.
    queue.take(2);
    expect(queue.putBack([3, 4])).toBe(0);
    expect(queue.peek(10)).toEqual([3, 4, 5, 6, 7]);
    expect(queue.putBack([])).toBe(0);
  });

  test("a full queue stays in order through many pushes, its array made anew as its front is spent", () => {
    const queue = filled(2_000, 50_000);
    expect(queue.length).toBe(2_000);
    expect(queue.peek(1)).toEqual([48_000]);
    expect(queue.take(3)).toEqual([48_000, 48_001, 48_002]);
    expect(queue.peek(2_000).at(-1)).toBe(49_999);
  });

  test("past its byte bound the oldest go, as many as it takes; an item alone past it goes, and it alone", () => {
    const queue = new EventQueue<string>(100, { max: 10, of: (text) => text.length });
    expect(queue.push("aaaa") + queue.push("bbbb")).toBe(0);
    expect(queue.push("cccccc")).toBe(1); // 14 bytes: "aaaa" goes
    expect([queue.peek(10), queue.bytes]).toEqual([["bbbb", "cccccc"], 10]);
    expect(queue.push("d".repeat(11))).toBe(1); // larger than the whole bound: it alone goes
    expect([queue.peek(10), queue.bytes]).toEqual([["bbbb", "cccccc"], 10]);
  });

  test("bytes follow take, drop and putBack: a batch put back past the byte bound loses its oldest", () => {
    const queue = new EventQueue<string>(100, { max: 10, of: (text) => text.length });
    queue.push("xx");
    queue.push("yyy");
    const batch = queue.take(1); // in flight: "xx"
    expect(queue.bytes).toBe(3);
    expect(queue.push("zzzzzzz")).toBe(0); // 10: fits beside the batch in flight
    expect(queue.putBack(batch)).toBe(1); // 12: "xx", the oldest, goes
    expect([queue.peek(10), queue.bytes]).toEqual([["yyy", "zzzzzzz"], 10]);
    queue.drop(1);
    expect(queue.bytes).toBe(7);
    expect(queue.clear()).toBe(1);
    expect(queue.bytes).toBe(0);
  });
});
