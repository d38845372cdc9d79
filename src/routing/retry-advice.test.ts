import { expect, test } from "bun:test";
import { GatewayError } from "../core/gateway-error.ts";
import { statedDelayMs } from "../core/stated-delay.ts";
import { RetryAdvice, toldWait } from "./retry-advice.ts";

const limited = (headers: Record<string, string>) =>
  new GatewayError({ status: 429, code: "rate_limited", message: "slow down", retryable: true, headers });

/** The caller's headers when `failure` was the run's one failed attempt. */
function told(failure: GatewayError): Record<string, string> {
  const advice = new RetryAdvice();
  advice.heard(failure, statedDelayMs(failure.headers));
  return advice.told(failure).headers;
}

test("a 429 that says its wait only as retry-after-ms is told Retry-After too, whole seconds rounded up, the ms kept", () => {
  expect(told(limited({ "retry-after-ms": "2500" }))).toEqual({
    "retry-after-ms": "2500",
    "retry-after": "3",
  });
  expect(told(limited({ "retry-after-ms": "0" }))).toEqual({ "retry-after-ms": "0", "retry-after": "0" });
});

test("a 429's own Retry-After and retry-after-ms go as the upstream said them", () => {
  const headers = { "retry-after": "7", "retry-after-ms": "6500", "x-should-retry": "true" };
  expect(told(limited(headers))).toEqual(headers);
});

test("a 429 that said no wait is told the default second", () => {
  expect(told(limited({}))).toEqual({ "retry-after": "1" });
});

test("a wait too long to write as a number of seconds (retry-after-ms: 1e24) is told as a day, an integer, and not to retry at once", () => {
  for (const ms of ["1e24", "99999999999999999999999"])
    expect(told(limited({ "retry-after-ms": ms }))).toEqual({
      "retry-after-ms": "86400000",
      "retry-after": "86400",
      "x-should-retry": "false",
    });
  // A failover's soonest wait, told in both headers, alike.
  const advice = new RetryAdvice();
  advice.heard(limited({}), 1e24);
  expect(advice.told(limited({})).headers).toEqual({
    "retry-after": "86400",
    "retry-after-ms": "86400000",
    "x-should-retry": "false",
  });
});

test("toldWait: x-should-retry false past the SDKs' longest wait or when no try could be served, the same headers else", () => {
  const soon = { "retry-after": "60" };
  expect(toldWait(soon)).toBe(soon);
  expect(toldWait({ "retry-after": "61" })).toEqual({ "retry-after": "61", "x-should-retry": "false" });
  expect(toldWait(soon, true)).toEqual({ "retry-after": "60", "x-should-retry": "false" });
  expect(toldWait({})).toEqual({});
});
