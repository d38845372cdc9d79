import { expect, test } from "bun:test";
import { passedOnTraceparent, readTraceparent, Traceparent } from "./traceparent.ts";

const text = (t0: number, t1: number, t2: number, t3: number, s0: number, s1: number, flags: number) =>
  new Traceparent(t0, t1, t2, t3, s0, s1, flags).toString();

test("a traceparent written from the ids' words reads back as those ids and flags", () => {
  const value = new Traceparent(0x0af76519, 0x16cd43dd, 0x8448eb21, 0x1c80319c, 0xb7ad6b71, 0x69203331, 1);
  expect(value.toString()).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  expect(text(0, 0, 0, 1, 0xffffffff, 0, 0)).toBe("00-00000000000000000000000000000001-ffffffff00000000-00");
  // The text is the value's own: another's, written since into the same buffer, leaves it as it was.
  expect(value.toString()).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  // Only the sampled bit is sent.
  expect(text(1, 2, 3, 4, 5, 6, 0xff).endsWith("-01")).toBe(true);
  expect(text(1, 2, 3, 4, 5, 6, 0xfe).endsWith("-00")).toBe(true);
  expect(String(value)).toBe(value.toString());
});

test("a span set after the text was made (spanIs) is the one the header names", () => {
  /** As a request's trace is its first attempt's handle: the span known once the attempt starts. */
  class StartedLater extends Traceparent {
    starts(s0: number, s1: number, flags: number): void {
      this.spanIs(s0, s1, flags);
    }
  }
  const value = new StartedLater(0x0af76519, 0x16cd43dd, 0x8448eb21, 0x1c80319c, 0, 0, 0);
  expect(value.toString()).toBe("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-00");
  value.starts(0xb7ad6b71, 0x69203331, 1);
  expect(String(value)).toBe("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  expect([value.s0, value.s1, value.flags]).toEqual([0xb7ad6b71, 0x69203331, 1]);
});

test("every byte of every word is written as its two hex digits", () => {
  const hex = (word: number) => word.toString(16).padStart(8, "0");
  for (let byte = 0; byte < 256; byte++) {
    // The byte at each of a word's four places, beside others that differ.
    const words = [0, 8, 16, 24].map((shift) => ((byte << shift) | (0x5a << ((shift + 8) % 32))) >>> 0);
    const [t0, t1, t2, t3] = words as [number, number, number, number];
    const s0 = (byte * 0x01010101) >>> 0;
    const s1 = (~s0 >>> 0) ^ 0x00ff00ff;
    expect(text(t0, t1, t2, t3, s0, s1, 1)).toBe(
      `00-${hex(t0)}${hex(t1)}${hex(t2)}${hex(t3)}-${hex(s0)}${hex(s1 >>> 0)}-01`,
    );
  }
});

test("a received traceparent is passed on only when well-formed, as W3C Trace Context says", () => {
  const good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  expect(passedOnTraceparent(good)).toBe(good);
  for (const bad of [
    null,
    undefined,
    "",
    "garbage",
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",
  ])
    expect(passedOnTraceparent(bad)).toBeUndefined();
});

test("a later version than 00 is read by its first four fields, a tail after a dash allowed; ff is no version", () => {
  const ids = { traceId: "0af7651916cd43dd8448eb211c80319c", spanId: "b7ad6b7169203331", traceFlags: 1 };
  for (const later of [
    "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-adds",
  ])
    expect(readTraceparent(later)).toEqual(ids);
  for (const bad of [
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    // Version 00 has no more fields; a later one's tail starts with a dash.
    "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
    "01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01x",
    "0g-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
  ])
    expect(readTraceparent(bad)).toBeUndefined();
});

test("a header of version 00's exact form is read as the expression reads it, one character off or not", () => {
  // The oracle is the spec's form written out here, apart from the module's: a read through
  // readTraceparent itself (a space in front, say) would compare the hand check with itself the day
  // that check learns to trim.
  const good = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const viaExpression = (header: string) => {
    const match =
      /^(?:00|(?!ff)[0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$|^(?!ff|00)[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})-.*$/.exec(
        header.trim(),
      );
    const [traceId, spanId, flags] = match?.[1] ? match.slice(1, 4) : (match?.slice(4, 7) ?? []);
    if (!traceId || !spanId || /^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
    return { traceId, spanId, traceFlags: Number.parseInt(flags ?? "", 16) };
  };
  expect(readTraceparent(good)).toEqual({
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    traceFlags: 1,
  });
  for (let at = 0; at < good.length; at++)
    for (const c of ["0", "9", "a", "f", "g", "A", "F", "-", " ", "\t", "/", ":", "`", "x"]) {
      const header = good.slice(0, at) + c + good.slice(at + 1);
      expect(readTraceparent(header)).toEqual(viaExpression(header));
    }
  for (const flags of ["00", "01", "0f", "a0", "ff", "10"]) {
    const header = `${good.slice(0, 53)}${flags}`;
    expect(readTraceparent(header)?.traceFlags).toBe(Number.parseInt(flags, 16));
    expect(readTraceparent(header)).toEqual(viaExpression(header));
  }
  for (const header of [
    good.slice(0, 54),
    `${good}0`,
    `00-${"0".repeat(32)}-b7ad6b7169203331-01`,
    `00-0af7651916cd43dd8448eb211c80319c-${"0".repeat(16)}-01`,
  ]) {
    expect(readTraceparent(header)).toBeUndefined();
    expect(viaExpression(header)).toBeUndefined();
  }
});
