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
