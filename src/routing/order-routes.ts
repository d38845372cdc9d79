import type { Route } from "./route.ts";
import type { RouteHealth } from "./route-health.ts";

export type Strategy = "priority" | "weighted" | "least-busy" | "latency";

/**
 * The order in which routes are tried. Every strategy keeps all routes, so failover always
 * has somewhere to go; it only decides who goes first. The scoring closures are made in the
 * helpers below: a closure here over `health` would make this function's scope (two, with the
 * default parameter) an object on every request, the `priority` one included.
 */
export function orderRoutes(
  routes: readonly Route[],
  strategy: Strategy,
  health: RouteHealth,
  random: () => number = Math.random,
): readonly Route[] {
  // One route has one order, whatever the strategy: handed back as it is, with no scores, copies
  // or closures made (a weighted shuffle of one route made two arrays, a record and a closure).
  if (routes.length < 2) return routes;
  switch (strategy) {
    // The caller only walks the list: the configured order is handed back as it is, no copy.
    case "priority":
      return routes;
    case "weighted":
      return weightedShuffle(routes, random);
    case "least-busy":
      return leastBusyFirst(routes, health);
    case "latency":
      return fastestFirst(routes, health);
  }
}

const leastBusyFirst = (routes: readonly Route[], health: RouteHealth) =>
  stableSort(routes, (r) => health.inFlight(r.key));

/** Unmeasured routes (0) go first so that each gets measured. */
const fastestFirst = (routes: readonly Route[], health: RouteHealth) =>
  stableSort(routes, (r) => health.latency(r.key));

function stableSort(routes: readonly Route[], score: (route: Route) => number): readonly Route[] {
  return routes
    .map((route, index) => ({ route, index, score: score(route) }))
    .sort((a, b) => a.score - b.score || a.index - b.index)
    .map((entry) => entry.route);
}

/** Weighted random order without replacement (Efraimidis–Spirakis keys). */
function weightedShuffle(routes: readonly Route[], random: () => number): Route[] {
  return routes
    .map((route) => ({ route, key: random() ** (1 / route.weight) }))
    .sort((a, b) => b.key - a.key)
    .map((entry) => entry.route);
}
