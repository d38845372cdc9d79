import { expect, test } from "bun:test";
import { upstreamError } from "../core/gateway-error.ts";
import { chatRequest, fakeProvider, jsonReply, routerFor, twoRoutes } from "./router-test-kit.ts";

// `strategy: latency` through the router: a route measured slow once (a cold start, one busy
// minute) was never tried again while another route answered, so its figure never changed and
// it was starved for good, however fast it became. One request in EXPLORE_EVERY goes first to a
// slower route, in turn, which keeps every route's figure current.

const latencyOverTwo = () => {
  const config = twoRoutes();
  return { ...config, models: config.models.map((model) => ({ ...model, strategy: "latency" })) };
};

test("a route measured slow once is tried again, once every 20 requests, and the fastest serves the rest", async () => {
  const a = fakeProvider("a");
  const b = fakeProvider("b");
  const { router, health } = routerFor(latencyOverTwo(), [a, b]);
  health.succeeded("a/ma", 50);
  // b's one answer took 5 s; every later answer of it would take far less.
  health.succeeded("b/mb", 5_000);
  const servedBy: string[] = [];
  for (let i = 0; i < 40; i++) servedBy.push((await router(chatRequest("m"))).route ?? "");
  const byB = servedBy.flatMap((route, i) => (route === "provider:b" ? [i + 1] : []));
  expect(byB).toEqual([20, 40]);
  expect([a.calls.length, b.calls.length]).toEqual([38, 2]);
  // b's figure moved towards what it answers now, from the 5 s it was stuck at.
  expect(health.latency("b/mb")).toBeLessThan(5_000 * 0.8 ** 2 + 1);
});

test("the exploring request's route gets one try: a retryable failure there goes to the fastest at once, not retried", async () => {
  // retries: 1 by default: a route the exploring request went to first, failing (down, or its
  // first byte never coming), used to be tried twice, each with its full first-byte wait, before
  // the caller reached the fastest route. The exploration is the gateway's idea, not the caller's.
  const a = fakeProvider("a");
  const b = fakeProvider("b", () => Promise.reject(upstreamError("b is down")));
  const { router, health } = routerFor(latencyOverTwo(), [a, b]);
  health.succeeded("a/ma", 50);
  health.succeeded("b/mb", 5_000);
  const servedBy: string[] = [];
  for (let i = 0; i < 20; i++) servedBy.push((await router(chatRequest("m"))).route ?? "");
  expect(servedBy.every((route) => route === "provider:a")).toBe(true);
  expect([a.calls.length, b.calls.length]).toEqual([20, 1]);
  // A failure is no measure of how fast the route answers: b's figure stays the 5 s it was.
  expect(health.latency("b/mb")).toBe(5_000);
});

test("a retryable failure on the fastest route, not explored, is still retried there first", async () => {
  const a = fakeProvider("a", (_call, n) =>
    n === 0 ? Promise.reject(upstreamError("a hiccup")) : Promise.resolve(jsonReply()),
  );
  const b = fakeProvider("b");
  const { router, health } = routerFor(latencyOverTwo(), [a, b]);
  health.succeeded("a/ma", 50);
  health.succeeded("b/mb", 5_000);
  expect((await router(chatRequest("m"))).route).toBe("provider:a");
  expect([a.calls.length, b.calls.length]).toEqual([2, 0]);
});
