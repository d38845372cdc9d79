import { expect, test } from "bun:test";
import { seededRandom } from "../../testing/seeded-random.ts";
import { putBytes, putTime } from "./proto-writer.ts";

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

/** A time's fixed64 as putTime writes it. */
function written(seconds: number, nanos: number): bigint {
  const view = new DataView(new ArrayBuffer(16));
  expect(putTime(view, 4, seconds, nanos)).toBe(12);
  return view.getBigUint64(4, true);
}

test("putTime writes seconds × 1e9 + nanos exactly, across seconds, carries and the years ahead", () => {
  const exact = (seconds: number, nanos: number) =>
    BigInt.asUintN(64, BigInt(seconds) * 1_000_000_000n + BigInt(nanos));
  const cases: [number, number][] = [
    [0, 0],
    [0, 999_999_999],
    [1, 0],
    [1_764_700_000, 0],
    [1_764_700_000, 1_000_000_000], // a rounded-up nanos, as millisToHrTime can make
    [2 ** 31 - 1, 999_999_999],
    [2 ** 31, 1],
    [2 ** 32 + 5, 123_456_789], // past 2106
  ];
  const random = seededRandom(28);
  for (let i = 0; i < 5_000; i++)
    cases.push([1_764_700_000 + Math.floor(i / 3), Math.floor(random() * 1_000_000_000)]);
  // Start and end either side of a second, alternating, as a batch's spans give them.
  for (let i = 0; i < 100; i++) cases.push([1_764_800_000 + (i % 2), 999_999_000 + i]);
  // Starts seconds before their ends, as long requests' spans give them: seconds kept and put out
  // of their slots (130 apart, seconds 64 apart sharing one) in turn.
  for (let i = 0; i < 600; i++)
    cases.push([1_764_900_000 + (i % 2 === 0 ? 130 : (i * 7) % 130), Math.floor(random() * 1_000_000_000)]);
  for (const [seconds, nanos] of cases) expect(written(seconds, nanos)).toBe(exact(seconds, nanos));
});

test("putTime writes a time of another kind as the library's arithmetic does", () => {
  // The arithmetic putTime took for every time before session 28, kept for these.
  const general = (seconds: number, nanos: number) => {
    const lower16 = (seconds & 0xffff) * 1e9;
    const upper = ((seconds / 65536) >>> 0) * 1e9;
    const low = (lower16 >>> 0) + (((upper & 0xffff) * 65536) >>> 0) + nanos;
    const high =
      (Math.floor(lower16 / 4294967296) + ((upper / 65536) >>> 0) + Math.floor(low / 4294967296)) >>> 0;
    return (BigInt(high) << 32n) | BigInt(low >>> 0);
  };
  for (const [seconds, nanos] of [
    [-1, 500],
    [1_764_700_000, -250],
    [1_764_700_000, 12.5],
    [1_764_700_000.5, 3],
  ] as const)
    expect(written(seconds, nanos)).toBe(general(seconds, nanos));
});
