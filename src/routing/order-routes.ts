import type { Route } from "./route.ts";
import type { RouteHealth } from "./route-health.ts";

export type Strategy = "priority" | "weighted" | "least-busy" | "latency";

/**
 * The order in which routes are tried. Every strategy keeps all routes, so failover always
 * has somewhere to go; it only decides who goes first.
 */
export function orderRoutes(
  routes: readonly Route[],
  strategy: Strategy,
  health: RouteHealth,
  random: () => number = Math.random,
): readonly Route[] {
  switch (strategy) {
    // The caller only walks the list: the configured order is handed back as it is, no copy.
    case "priority":
      return routes;
    case "weighted":
      return weightedShuffle(routes, random);
    case "least-busy":
      return stableSort(routes, (r) => health.inFlight(r.key));
    case "latency":
      // Unmeasured routes (0) go first so that each gets measured.
      return stableSort(routes, (r) => health.latency(r.key));
  }
}

function stableSort(routes: readonly Route[], score: (route: Route) => number): readonly Route[] {
  if (routes.length < 2) return routes;
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
