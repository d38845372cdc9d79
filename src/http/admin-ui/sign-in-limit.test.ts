import { expect, test } from "bun:test";
import { GatewayError } from "../../core/gateway-error.ts";
import { fakeClock } from "../../testing/fake-clock.ts";
import { SignInLimit } from "./sign-in-limit.ts";

const refusal = (step: () => void): GatewayError | undefined => {
  try {
    step();
    return undefined;
  } catch (error) {
    if (error instanceof GatewayError) return error;
    throw error;
  }
};

test("an address's minute starts at its first step; past the bound each step is a 429 saying when the minute ends", () => {
  const clock = fakeClock(1_000);
  const limit = new SignInLimit(clock.now, 3);
  for (let i = 0; i < 3; i++) limit.step("10.0.0.1");
  clock.advance(20_500);
  const refused = refusal(() => limit.step("10.0.0.1"));
  expect([refused?.status, refused?.code, refused?.headers?.["retry-after"]]).toEqual([
    429,
    "rate_limited",
    "40",
  ]);
  // Another address, and a request without one, are not held to it.
  expect(refusal(() => limit.step("10.0.0.2"))).toBeUndefined();
  for (let i = 0; i < 10; i++) expect(refusal(() => limit.step(null))).toBeUndefined();
  clock.advance(39_500);
  expect(refusal(() => limit.step("10.0.0.1"))).toBeUndefined();
});

test("the addresses kept are bounded: past it the minute that began longest ago is forgotten", () => {
  const clock = fakeClock();
  const limit = new SignInLimit(clock.now, 1, 2);
  limit.step("a");
  clock.advance(1);
  limit.step("b");
  expect(refusal(() => limit.step("a"))?.status).toBe(429);
  limit.step("c");
  // `a` was forgotten for `c`: its next step starts a minute anew; `b` (newer) is still held.
  expect(refusal(() => limit.step("a"))).toBeUndefined();
  expect(refusal(() => limit.step("c"))?.status).toBe(429);
});
