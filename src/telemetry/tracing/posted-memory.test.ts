import { expect, test } from "bun:test";
import { HeldMemories, PostedMemories } from "./posted-memory.ts";

// What the main thread names, the thread holds: through more memories than either keeps, and
// after a message that never arrived.

const held = () => new HeldMemories((memory, length): Float64Array => new Float64Array(memory, 0, length));
const memory = (value: number) => {
  const numbers = new Float64Array(new SharedArrayBuffer(8 * 8));
  numbers.fill(value);
  return numbers;
};

test("every batch reads its own memory's numbers, its length, through memories coming and going", () => {
  const posted = new PostedMemories();
  const thread = held();
  const memories = Array.from({ length: 7 }, (_, i) => memory(i));
  // Batches written into memories in turn, some often, others once (an array grown, a spare dropped).
  const order = [0, 1, 0, 1, 2, 0, 3, 4, 5, 0, 1, 6, 6, 2, 0];
  order.forEach((m, i) => {
    const numbers = (memories[m] as Float64Array).subarray(0, 1 + (i % 8));
    const read = thread.of(posted.message(numbers));
    expect(read.length).toBe(numbers.length);
    expect([...read]).toEqual([...numbers]);
    expect(read.buffer).toBe(numbers.buffer);
  });
});

test("after a lost message, each memory goes again with its next batch", () => {
  const posted = new PostedMemories();
  const thread = held();
  const first = memory(1);
  thread.of(posted.message(first));
  expect(posted.message(first).shared).toBeUndefined();
  const second = memory(2);
  posted.message(second); // never reached the thread
  posted.lost();
  const again = posted.message(second);
  expect(again.shared).toBe(second.buffer as SharedArrayBuffer);
  expect([...thread.of(again)]).toEqual([...second]);
  expect(posted.message(first).shared).toBe(first.buffer as SharedArrayBuffer);
});

test("a memory the thread does not hold is an error, not another batch's numbers", () => {
  expect(() => held().of({ memory: 3, length: 1, shared: undefined })).toThrow("not held");
});

test("a message names the same fields whether it carries its memory or names it", () => {
  const posted = new PostedMemories();
  const numbers = memory(1);
  const first = posted.message(numbers);
  const named = posted.message(numbers);
  expect(first.shared).toBe(numbers.buffer as SharedArrayBuffer);
  expect(named.shared).toBeUndefined();
  expect(Object.keys(named)).toEqual(Object.keys(first));
});
