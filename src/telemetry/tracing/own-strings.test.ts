import { expect, test } from "bun:test";
import { OwnStringsWriter, ownLength, ownText } from "./own-strings.ts";

// A batch's own strings as the export thread reads them: each where its offset says, as protobuf
// writes a string's value (its UTF-8 after its length), through growth and memories used again.

/** Protobuf's bytes of a string value: varint length, then UTF-8. */
function protobufOf(value: string): number[] {
  const utf8 = [...Buffer.from(value)];
  const prefix: number[] = [];
  let length = utf8.length;
  while (length > 127) {
    prefix.push((length & 127) | 128);
    length >>>= 7;
  }
  return [...prefix, length, ...utf8];
}

const values = [
  "req_0123456789abcdef0123456789abcdef",
  "",
  "é☃ not ASCII, after ASCII",
  "x".repeat(300),
  "\ud83d\ude00".repeat(70),
];

test("each string reads back at its offset, its bytes protobuf's, through growth", () => {
  const writer = new OwnStringsWriter(16);
  const offsets = values.map((value) => writer.add(value));
  const strings = writer.take();
  expect(strings.buffer).toBeInstanceOf(SharedArrayBuffer);
  values.forEach((value, i) => {
    const at = offsets[i] as number;
    expect(ownText(strings, at)).toBe(value);
    expect([...strings.subarray(at, at + ownLength(strings, at))]).toEqual(protobufOf(value));
  });
  expect(strings.length).toBe(values.reduce((sum, value) => sum + protobufOf(value).length, 0));
});

test("a memory given back is written again after the next; none other is", () => {
  const writer = new OwnStringsWriter(64);
  writer.add("first batch's id");
  const first = writer.take();
  writer.recycle(first);
  // The batch after `take()` was already started elsewhere; the one after it gets the memory back.
  writer.add("second");
  const second = writer.take();
  const at = writer.add("third batch's id");
  const third = writer.take();
  expect(third.buffer).toBe(first.buffer);
  expect(second.buffer).not.toBe(first.buffer);
  expect(ownText(third, at)).toBe("third batch's id");
  // A memory smaller than a new one is not kept.
  const small = new Uint8Array(new SharedArrayBuffer(8));
  writer.recycle(small);
  writer.take();
  writer.add("fifth");
  const fifth = writer.take();
  expect(fifth.buffer).not.toBe(small.buffer);
  expect(fifth.buffer.byteLength).toBe(64);
});
