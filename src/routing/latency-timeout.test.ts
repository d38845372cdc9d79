import { expect, test } from "bun:test";
import { upstreamError } from "../core/gateway-error.ts";
import {
  chatRequest,
  drain,
  fakeProvider,
  jsonReply,
  never,
  routerFor,
  streamReply,
  twoRoutes,
} from "./router-test-kit.ts";

// `strategy: latency` through the router: a route's figure was made of its answers alone, so one
// that began to hang (every attempt ending at its first_byte bound, 120 s by default) kept the
// figure of its last answer and stayed first for every request until its breaker opened, five
// bounds later. An attempt that timed out before its first byte now counts as an answer at least as
// slow as the wait it ended.

/** Model `m` over a (`ma`, fast until now) and b (`mb`, a little slower), under `latency`, failing over at once. */
const latencyOverTwo = (aTimeouts: object) => {
  const config = twoRoutes({ retries: 0 }, { timeouts: aTimeouts });
  return { ...config, models: config.models.map((model) => ({ ...model, strategy: "latency" })) };
};

/** The figures seeded: a answered in 50 ms, b in 60 ms; 200 ms waited on a moves it past b. */
const seeded = (health: { succeeded(key: string, ms: number): void }) => {
  health.succeeded("a/ma", 50);
  health.succeeded("b/mb", 60);
};

test("a route whose first byte times out is no longer first: the next request goes to the route that answers", async () => {
  // a hangs from now on; b answers.
  const a = fakeProvider("a", never);
  const b = fakeProvider("b");
  const { router, health } = routerFor(latencyOverTwo({ first_byte: "200ms" }), [a, b]);
  seeded(health);
  const first = await router(chatRequest("m"));
  expect(first.route).toBe("provider:b");
  expect(health.latency("a/ma")).toBeGreaterThanOrEqual(50 * 0.8 + 200 * 0.2);
  const second = await router(chatRequest("m"));
  expect(second.route).toBe("provider:b");
  expect([a.calls.length, b.calls.length]).toEqual([1, 2]);
});

test("a stream whose response headers time out counts alike", async () => {
  const a = fakeProvider("a", never);
  const b = fakeProvider("b", () => Promise.resolve(streamReply(1)));
  const { router, health } = routerFor(latencyOverTwo({ connect: "200ms" }), [a, b]);
  seeded(health);
  const first = await router(chatRequest("m", { stream: true }));
  expect(first.route).toBe("provider:b");
  if (first.reply?.kind === "stream") await drain(first.reply.chunks);
  expect(health.latency("a/ma")).toBeGreaterThanOrEqual(50 * 0.8 + 200 * 0.2);
  expect((await router(chatRequest("m", { stream: true }))).route).toBe("provider:b");
  expect(a.calls.length).toBe(1);
});

test("a failure that is no timeout adds no figure: a route that refuses fast is not measured fast", async () => {
  const a = fakeProvider("a", (_call, n) =>
    n === 0 ? Promise.reject(upstreamError("bad gateway")) : Promise.resolve(jsonReply()),
  );
  const b = fakeProvider("b");
  const { router, health } = routerFor(latencyOverTwo({ first_byte: "200ms" }), [a, b]);
  seeded(health);
  expect((await router(chatRequest("m"))).route).toBe("provider:b");
  expect(health.latency("a/ma")).toBe(50);
});

test("a timeout shorter than the route's average only proves it at least that slow: its figure is not lowered", async () => {
  // a averages 1 200 ms to its first byte, b 1 300 ms: a goes first, and fails to connect within
  // 200 ms. Taken as an answer at 200 ms, that lowered a's figure to 1 000 ms (two such, 840 ms),
  // moving a route that cannot connect ahead of one that answers.
  const a = fakeProvider("a", never);
  const b = fakeProvider("b", () => Promise.resolve(streamReply(1)));
  const { router, health } = routerFor(latencyOverTwo({ connect: "200ms" }), [a, b]);
  health.succeeded("a/ma", 1200);
  health.succeeded("b/mb", 1300);
  const first = await router(chatRequest("m", { stream: true }));
  expect(first.route).toBe("provider:b");
  if (first.reply?.kind === "stream") await drain(first.reply.chunks);
  expect(a.calls.length).toBe(1);
  expect(health.latency("a/ma")).toBe(1200);
});
