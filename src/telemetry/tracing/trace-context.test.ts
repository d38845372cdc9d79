import { expect, test } from "bun:test";
import { callerParentIdWord, callerTraceIdWord, parseTraceparent } from "./trace-context.ts";

test("a well-formed traceparent is read; anything else is ignored, as W3C Trace Context says", () => {
  expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")).toEqual({
    traceId: "0af7651916cd43dd8448eb211c80319c",
    spanId: "b7ad6b7169203331",
    traceFlags: 1,
    isRemote: true,
  });
  expect(parseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00")?.traceFlags).toBe(0);
  // A later version's first fields continue its trace (src/core/traceparent.test.ts has the rest).
  expect(parseTraceparent("01-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")?.spanId).toBe(
    "b7ad6b7169203331",
  );
  for (const bad of [
    null,
    "",
    "garbage",
    "ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
    "00-00000000000000000000000000000000-b7ad6b7169203331-01",
    "00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01",
    "00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01",
  ])
    expect(parseTraceparent(bad)).toBeUndefined();
});

test("the caller's tracestate is the remote parent's trace state, read only beside a well-formed traceparent", () => {
  const traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  // As the SDK's W3C propagator reads it: optional whitespace and empty members gone.
  const remote = parseTraceparent(traceparent, "congo=t61rcWkgMzE, rojo=00f067aa0ba902b7,");
  expect(remote?.traceState?.serialize()).toBe("congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  expect(parseTraceparent(traceparent)?.traceState).toBeUndefined();
  // Malformed anywhere, or more than 32 members: no trace state at all, the traceparent still read.
  const many = Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(",");
  for (const bad of ["congo=1,rojo", "congo=1,congo=2", many, ""]) {
    const read = parseTraceparent(traceparent, bad);
    expect(read?.traceId).toBe("0af7651916cd43dd8448eb211c80319c");
    expect(read?.traceState).toBeUndefined();
  }
  expect(parseTraceparent("garbage", "congo=1")).toBeUndefined();
});

test("the caller's ids as words, read from the header where their digits are, white space trimmed off it or not", () => {
  const traceId = "0af7651916cd43dd8448eb211c80319c";
  const spanId = "b7ad6b7169203331";
  const wordsOf = (hex: string) =>
    Array.from({ length: hex.length / 8 }, (_, w) => Number.parseInt(hex.slice(w * 8, w * 8 + 8), 16));
  for (const header of [
    `00-${traceId}-${spanId}-01`,
    `cc-${traceId}-${spanId}-00-later-fields`,
    `00-${traceId}-${spanId}-01 \t`,
    // White space in front moves the ids (JavaScript's trim takes a no-break space too).
    ` 00-${traceId}-${spanId}-01`,
    `\t 00-${traceId}-${spanId}-01`,
    `\u00a0\u00a0\u00a0cc-${traceId}-${spanId}-01-x`,
  ]) {
    const remote = parseTraceparent(header);
    if (!remote) throw new Error(`not read: ${JSON.stringify(header)}`);
    expect([0, 1, 2, 3].map((w) => callerTraceIdWord(header, remote, w))).toEqual(wordsOf(traceId));
    expect([0, 1].map((w) => callerParentIdWord(header, remote, w))).toEqual(wordsOf(spanId));
  }
});
