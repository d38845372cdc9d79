import { expect, test } from "bun:test";
import { seededRandom } from "../../testing/seeded-random.ts";
import { nanos, seconds } from "./batch-span-parts.ts";

// The SDK's `millisToHrTime`: what the export thread must reproduce, to the bit, without `%`.
const sdkNanos = (ms: number) => Math.round((ms % 1000) * 1e6);

test("nanos is the SDK's remainder for every kind of time, to the bit", () => {
  const times: number[] = [0, 0.5, 999.9999, 1000, 12.345678, -0, -5.5, -1000, -1500.25];
  // Epoch times with a fraction, as performance.timeOrigin + performance.now() gives them.
  const random = seededRandom(28);
  for (let i = 0; i < 20_000; i++) times.push(1_764_700_000_000 + random() * 1e9);
  // Just below, at and just above a whole second, where a division may round up to it.
  for (let k = 1_764_700_000; k < 1_764_700_000 + 2_000; k++) {
    const at = k * 1000;
    times.push(at, at - at * Number.EPSILON, at + at * Number.EPSILON, at - 0.000244140625, at - 1e-9);
  }
  for (const ms of times) {
    expect(Object.is(nanos(ms), sdkNanos(ms))).toBe(true);
    expect(seconds(ms)).toBe(Math.trunc(ms / 1000));
  }
});
