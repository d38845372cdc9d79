import { expect, test } from "bun:test";
import { createRingReader, createRingWriter } from "./message-ring.ts";

const bytes = (length: number, seed: number) => Uint8Array.from({ length }, (_, i) => (i * 7 + seed) & 0xff);

test("messages come out as they went in, across many wraps of a small ring, text in any script", () => {
  const writer = createRingWriter(1000);
  const read = createRingReader(writer.buffer);
  for (let i = 0; i < 2000; i++) {
    const parts = [bytes(i % 97, i), bytes((i * 13) % 61, i + 1), bytes(0, 0)];
    const text = `{"n":${i},"s":"héllo ✓ 𝄞 ${"x".repeat(i % 37)}"}`;
    const posted = writer.write(parts, text);
    if (posted === undefined) throw new Error(`message ${i} did not fit an empty ring`);
    const got = read(posted);
    expect(got.text).toBe(text);
    expect(got.parts).toEqual(parts);
  }
});

test("a full ring refuses until the reader has taken what it holds; too large never fits", () => {
  const writer = createRingWriter(300);
  const read = createRingReader(writer.buffer);
  const first = writer.write([bytes(120, 1)], "a");
  const second = writer.write([bytes(120, 2)], "b");
  expect(first).toBeDefined();
  expect(second).toBeDefined();
  // 242 bytes in use, and a third would have to skip the ring's last 58: not until both are read.
  expect(writer.write([bytes(120, 3)], "c")).toBeUndefined();
  expect(read(first as string).parts[0]).toEqual(bytes(120, 1));
  expect(writer.write([bytes(120, 3)], "c")).toBeUndefined();
  expect(read(second as string).text).toBe("b");
  const third = writer.write([bytes(120, 3)], "c");
  expect(third).toBeDefined();
  expect(read(third as string).parts[0]).toEqual(bytes(120, 3));
  expect(writer.write([bytes(400, 4)], "d")).toBeUndefined();
});
