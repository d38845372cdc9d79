import { describe, expect, test } from "bun:test";
import { orderRoutes } from "./order-routes.ts";
import type { Route } from "./route.ts";
import { RouteHealth } from "./route-health.ts";
import { EXPLORE_EVERY, RouteTurns } from "./route-turns.ts";
import { fakeProvider } from "./router-test-kit.ts";

const route = (key: string, weight = 1): Route => ({
  provider: fakeProvider(key),
  upstreamModel: key,
  weight,
  timeouts: { connectMs: 1000, firstByteMs: 1000, idleMs: 1000 },
  key,
  label: `provider:${key}`,
});
const keys = (routes: readonly Route[]) => routes.map((r) => r.key);
const routes = [route("a", 1), route("b", 3), route("c", 1)];
const health = () => new RouteHealth({ failures: 5, cooldownMs: 1000 });

/** A deterministic sequence of "random" numbers. */
const sequence = (...values: number[]) => {
  let i = 0;
  return () => values[i++ % values.length] ?? 0;
};

describe("route order", () => {
  test("priority keeps the configured order", () => {
    expect(keys(orderRoutes(routes, "priority", health()))).toEqual(["a", "b", "c"]);
  });

  test("a model's one route is handed back as it is, whatever the strategy (no copy a request)", () => {
    const one = [route("a")];
    for (const strategy of ["priority", "weighted", "least-busy", "latency"] as const)
      expect(orderRoutes(one, strategy, health(), sequence(0.5))).toBe(one);
  });

  test("every strategy keeps every route, so failover always has somewhere to go", () => {
    for (const strategy of ["priority", "weighted", "least-busy", "latency"] as const) {
      expect(keys(orderRoutes(routes, strategy, health())).sort()).toEqual(["a", "b", "c"]);
    }
  });

  test("least-busy puts the route with the fewest requests in flight first, ties in config order", () => {
    const h = health();
    h.begin("a");
    h.begin("a");
    h.begin("b");
    expect(keys(orderRoutes(routes, "least-busy", h))).toEqual(["c", "b", "a"]);
  });

  test("least-busy routes tied at the fewest in flight take turns going first, round the tied ones", () => {
    const h = health();
    const turns = new RouteTurns();
    const firsts = [0, 1, 2, 3].map(() => keys(orderRoutes(routes, "least-busy", h, Math.random, turns))[0]);
    expect(firsts).toEqual(["a", "b", "c", "a"]);
    // The busiest stays last whoever's turn it is; the two idle ones take turns between them.
    h.begin("a");
    const idleFirsts = [0, 1, 2, 3].map(() => keys(orderRoutes(routes, "least-busy", h, Math.random, turns)));
    expect(idleFirsts).toEqual([
      ["c", "b", "a"],
      ["b", "c", "a"],
      ["c", "b", "a"],
      ["b", "c", "a"],
    ]);
  });

  test("latency tries unmeasured routes first, then the fastest", () => {
    const h = health();
    h.succeeded("a", 50);
    h.succeeded("b", 10);
    expect(keys(orderRoutes(routes, "latency", h))).toEqual(["c", "b", "a"]);
  });

  test("latency puts a route tried that never answered after the measured ones, an untried one first", () => {
    const h = health();
    h.begin("a");
    h.end("a");
    h.succeeded("b", 10);
    expect(keys(orderRoutes(routes, "latency", h))).toEqual(["c", "b", "a"]);
    h.succeeded("a", 5);
    expect(keys(orderRoutes(routes, "latency", h))).toEqual(["c", "a", "b"]);
  });

  test("latency sends every EXPLORE_EVERYth request first to a slower route, each in turn, the rest fastest first", () => {
    const h = health();
    h.succeeded("a", 50);
    h.succeeded("b", 10);
    h.succeeded("c", 5_000);
    const turns = new RouteTurns();
    const orders = Array.from({ length: 3 * EXPLORE_EVERY }, () =>
      keys(orderRoutes(routes, "latency", h, Math.random, turns)),
    );
    const explored = orders.flatMap((order, i) => (order[0] === "b" ? [] : [[i + 1, order]]));
    expect(explored).toEqual([
      [EXPLORE_EVERY, ["a", "b", "c"]],
      [2 * EXPLORE_EVERY, ["c", "b", "a"]],
      [3 * EXPLORE_EVERY, ["a", "b", "c"]],
    ]);
  });

  test("weighted order follows the injected random source", () => {
    // With equal draws a heavier route's key (r ** (1/w)) is larger, so it goes first.
    expect(keys(orderRoutes(routes, "weighted", health(), () => 0.5))).toEqual(["b", "a", "c"]);
    expect(keys(orderRoutes(routes, "weighted", health(), sequence(0.99, 0.01, 0.5)))).toEqual([
      "a",
      "c",
      "b",
    ]);
  });

  test("weighted picks routes in proportion to their weights", () => {
    let state = 42;
    // A small deterministic LCG, so the proportion is the same on every run.
    const random = () => {
      state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
      return state / 2 ** 31;
    };
    const first = { a: 0, b: 0, c: 0 } as Record<string, number>;
    for (let i = 0; i < 5000; i++) {
      const [top] = orderRoutes(routes, "weighted", health(), random);
      if (top) first[top.key] = (first[top.key] ?? 0) + 1;
    }
    // Weights 1:3:1 → b first about 60 % of the time.
    expect(first.b ?? 0).toBeGreaterThan(2700);
    expect(first.b ?? 0).toBeLessThan(3300);
  });
});
