import { expect, test } from "bun:test";
import { putBytes } from "./proto-writer.ts";

test("putBytes copies every length, four bytes a load and the rest one by one", () => {
  const from = Uint8Array.from({ length: 64 }, (_, i) => i + 1);
  for (let length = 0; length <= 21; length++)
    for (const start of [0, 3]) {
      const b = new Uint8Array(40).fill(0xee);
      const pos = 5;
      expect(putBytes(new DataView(b.buffer), pos, new DataView(from.buffer), start, length)).toBe(
        pos + length,
      );
      expect([...b.subarray(pos, pos + length)]).toEqual([...from.subarray(start, start + length)]);
      // Nothing written outside the range.
      expect(b.subarray(0, pos).every((x) => x === 0xee)).toBe(true);
      expect(b.subarray(pos + length).every((x) => x === 0xee)).toBe(true);
    }
});
