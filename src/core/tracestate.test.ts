import { expect, test } from "bun:test";
import {
  MAX_TRACESTATE_LENGTH,
  passedOnTracestate,
  readTracestate,
  traceContextHeaders,
} from "./tracestate.ts";

const TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
const members = (count: number) => Array.from({ length: count }, (_, i) => `k${i}=v${i}`).join(",");

test("a well-formed tracestate is kept as it came: spaces, tabs and empty members included", () => {
  for (const good of [
    "congo=t61rcWkgMzE",
    "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
    // Optional whitespace around members, and the empty members that joined header lines make.
    "foo=1 \t , \t bar=2,\t baz=3",
    "foo=1,,bar=2, ",
    // Multi-tenant keys; every character a value may hold, a leading space kept as part of it.
    "tenant@vendor=x,0tenant@v=y",
    "k=  ! value with spaces ~",
    `${"a".repeat(256)}=${"v".repeat(256)}`,
    `${"t".repeat(241)}@${"v".repeat(14)}=1`,
    members(32),
  ])
    expect(readTracestate(good)).toBe(good);
});

test("a malformed tracestate is ignored whole, not member by member", () => {
  for (const bad of [
    "garbage",
    "foo=1,garbage",
    "FOO=1",
    "foo.bar=1,baz=2",
    "foo =1",
    "foo=",
    "foo=1 ,bar=,baz=3",
    "foo=bar=baz",
    "foo=a\tb",
    "foo=é",
    "foo@=1,bar=2",
    "@foo=1,bar=2",
    "foo@bar@baz=1,bar=2",
    `${"z".repeat(257)}=1,foo=1`,
    `${"t".repeat(242)}@v=1,foo=1`,
    `t@${"v".repeat(15)}=1,foo=1`,
    `foo=${"v".repeat(257)}`,
    // No key twice, whether in one line or two joined.
    "foo=1,foo=2",
    "foo=1, foo=1",
    // More than 32 members.
    members(33),
    `${members(32)},extra=1`,
  ])
    expect(readTracestate(bad)).toBeUndefined();
});

test("an empty, blank or oversized tracestate is none", () => {
  for (const none of [null, undefined, "", " ", ",", " , \t,"]) expect(readTracestate(none)).toBeUndefined();
  const padded = `foo=1${" ".repeat(MAX_TRACESTATE_LENGTH)}`;
  expect(readTracestate(padded)).toBeUndefined();
});

test("a tracestate is passed on only beside a well-formed traceparent, as W3C Trace Context says", () => {
  expect(passedOnTracestate(TRACEPARENT, "congo=t61rcWkgMzE")).toBe("congo=t61rcWkgMzE");
  for (const traceparent of [null, undefined, "", "garbage", TRACEPARENT.replace("0af7", "zzzz")])
    expect(passedOnTracestate(traceparent, "congo=t61rcWkgMzE")).toBeUndefined();
  expect(passedOnTracestate(TRACEPARENT, "foo=1,foo=2")).toBeUndefined();
  expect(passedOnTracestate(TRACEPARENT, null)).toBeUndefined();
});

test("the trace context's headers: tracestate never without traceparent", () => {
  expect(traceContextHeaders(undefined, "congo=1")).toBeUndefined();
  expect(traceContextHeaders(TRACEPARENT, undefined)).toEqual({ traceparent: TRACEPARENT });
  expect(traceContextHeaders(TRACEPARENT, "congo=1")).toEqual({
    traceparent: TRACEPARENT,
    tracestate: "congo=1",
  });
});
