import { expect, test } from "bun:test";
import { parseTraceparent, traceparentText } from "./trace-context.ts";

test("a well-formed traceparent is read; anything else is ignored, as W3C Trace Context says", () => {
  expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toEqual({
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    traceFlags: 1,
    isRemote: true,
  });
  expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")?.traceFlags).toBe(0);
  for (const bad of [
    null,
    "",
    "garbage",
    "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",
    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
    "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
  ])
    expect(parseTraceparent(bad)).toBeUndefined();
});

test("a traceparent written from the ids' words reads back as those ids and flags", () => {
  const text = traceparentText(0x0af76519, 0x16cd43dd, 0x8448eb21, 0x1c80319c, 0xb7ad6b71, 0x69203331, 1);
  expect(text).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  expect(traceparentText(0, 0, 0, 1, 0xffffffff, 0, 0)).toBe(
    "00-00000000000000000000000000000001-ffffffff00000000-00",
  );
  // The text is the caller's: the next call writes into the same buffer, not into it.
  expect(text).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
});

test("every byte of every word is written as its two hex digits", () => {
  const hex = (word: number) => word.toString(16).padStart(8, "0");
  for (let byte = 0; byte < 256; byte++) {
    // The byte at each of a word's four places, beside others that differ.
    const words = [0, 8, 16, 24].map((shift) => ((byte << shift) | (0x5a << ((shift + 8) % 32))) >>> 0);
    const [t0, t1, t2, t3] = words as [number, number, number, number];
    const s0 = (byte * 0x01010101) >>> 0;
    const s1 = (~s0 >>> 0) ^ 0x00ff00ff;
    expect(traceparentText(t0, t1, t2, t3, s0, s1, 1)).toBe(
      `00-${hex(t0)}${hex(t1)}${hex(t2)}${hex(t3)}-${hex(s0)}${hex(s1 >>> 0)}-01`,
    );
  }
});
