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
  const limit = new SignInLimit(clock.now, () => 3);
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
  const limit = new SignInLimit(clock.now, () => 1, 2);
  limit.step("a");
  clock.advance(1);
  limit.step("b");
  expect(refusal(() => limit.step("a"))?.status).toBe(429);
  limit.step("c");
  // `a` was forgotten for `c`: its next step starts a minute anew; `b` (newer) is still held.
  expect(refusal(() => limit.step("a"))).toBeUndefined();
  expect(refusal(() => limit.step("c"))?.status).toBe(429);
});

test("an IPv6 client is counted by its /64, however its address is written: its network's addresses share one count", () => {
  const clock = fakeClock();
  const limit = new SignInLimit(clock.now, () => 3, 2);
  for (const address of [
    "2001:db8:1:2::1",
    "2001:db8:1:2:ffff:ffff:ffff:fffe",
    "2001:0DB8:0001:0002:0:0:0:7",
  ])
    expect(refusal(() => limit.step(address))).toBeUndefined();
  for (const address of ["2001:db8:1:2::abcd", "2001:db8:1:2:0:0:a:b"])
    expect(refusal(() => limit.step(address))?.status).toBe(429);
  // Another /64, however close, has its own count.
  expect(refusal(() => limit.step("2001:db8:1:3::1"))).toBeUndefined();
  // One /64's many addresses are one entry kept: they cannot crowd out another client's count.
  for (let i = 0; i < 100; i++) limit.take(`2001:db8:1:3::${i.toString(16)}`);
  expect(refusal(() => limit.step("2001:db8:1:2::9"))?.status).toBe(429);
});

test("an IPv4-mapped IPv6 address counts with its IPv4 address", () => {
  const clock = fakeClock();
  const limit = new SignInLimit(clock.now, () => 2);
  limit.step("192.0.2.7");
  limit.step("::ffff:192.0.2.7");
  expect(refusal(() => limit.step("::FFFF:c000:0207"))?.status).toBe(429);
  expect(refusal(() => limit.step("192.0.2.7"))?.status).toBe(429);
  // Not another IPv4 address, nor the /64 the mapped form sits in.
  expect(refusal(() => limit.step("::ffff:192.0.2.8"))).toBeUndefined();
  expect(refusal(() => limit.step("::1"))).toBeUndefined();
});

test("the refusal says what was counted: an IPv4 address, or an IPv6 address's whole /64", () => {
  const clock = fakeClock();
  const limit = new SignInLimit(clock.now, () => 1);
  limit.step("192.0.2.1");
  limit.step("2001:db8:1:2::1");
  expect(refusal(() => limit.step("192.0.2.1"))?.message).toBe(
    "too many sign-in attempts from this address (1 a minute): try again in 60 s",
  );
  expect(refusal(() => limit.step("2001:db8:1:2::ffff"))?.message).toBe(
    "too many sign-in attempts from this address's /64 network (2001:db8:1:2::/64, counted as one address; 1 a minute): try again in 60 s",
  );
});

test("the bound is read at each step: a reload that changes it applies to the next", () => {
  const clock = fakeClock();
  let most = 1;
  const limit = new SignInLimit(clock.now, () => most);
  limit.step("10.0.0.1");
  expect(refusal(() => limit.step("10.0.0.1"))?.status).toBe(429);
  most = 3;
  expect(refusal(() => limit.step("10.0.0.1"))).toBeUndefined();
  expect(refusal(() => limit.step("10.0.0.1"))).toBeUndefined();
  expect(refusal(() => limit.step("10.0.0.1"))?.message).toContain("(3 a minute)");
});
