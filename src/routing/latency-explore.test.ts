import { expect, test } from "bun:test";
import { chatRequest, fakeProvider, routerFor, twoRoutes } from "./router-test-kit.ts";

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
