import type { Route } from "./route.ts";
import type { RouteHealth } from "./route-health.ts";
import type { RouteTurns } from "./route-turns.ts";

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
  /**
   * The entry's turns: among `least-busy` routes that tie, and `latency`'s exploring; without, ties
   * keep config order and `latency` never explores.
   */
  turns?: RouteTurns,
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
      return leastBusyFirst(routes, health, turns);
    case "latency":
      return fastestFirst(routes, health, turns);
  }
}

/**
 * Fewest in flight first; the routes tied at the fewest take turns going first (in config order,
 * from the one whose turn it is): in config order alone, idle routes (sequential traffic, a quiet
 * hour) sent every request to the first route and never used the others. Turns go round the tied
 * routes alone: round the whole list, a busy route's turn fell to the next in config order, which
 * took twice the share of the others. A route whose breaker is open is busiest (`busyRank`).
 */
function leastBusyFirst(routes: readonly Route[], health: RouteHealth, turns?: RouteTurns): readonly Route[] {
  const scored = routes.map((route, index) => ({ route, index, score: health.busyRank(route.key) }));
  let fewest = Number.POSITIVE_INFINITY;
  let tied = 0;
  for (const { score } of scored) {
    if (score < fewest) {
      fewest = score;
      tied = 0;
    }
    if (score === fewest) tied++;
  }
  // The tied routes' places, counted from the one whose turn it is; the others keep config order.
  const start = turns === undefined || tied < 2 ? 0 : turns.take(tied);
  let place = 0;
  for (const entry of scored) if (entry.score === fewest) entry.index = (place++ - start + tied) % tied;
  return scored.sort(byScore).map((entry) => entry.route);
}

/**
 * Routes never tried go first so that each gets measured; then the fastest; then those tried that
 * never answered (`RouteHealth.latencyRank`). On the entry's exploring turn (`RouteTurns.explores`),
 * one slower route in turn goes first, so a route measured slow once is measured again.
 */
function fastestFirst(routes: readonly Route[], health: RouteHealth, turns?: RouteTurns): readonly Route[] {
  const sorted = stableSort(routes, (r) => health.latencyRank(r.key));
  const fastest = sorted[0];
  if (turns === undefined || fastest === undefined || health.latencyRank(fastest.key) === 0) return sorted;
  const explored = turns.explores(sorted.length - 1) + 1;
  if (explored === 0) return sorted;
  const first = sorted[explored] as Route;
  const order = [first, ...sorted.slice(0, explored), ...sorted.slice(explored + 1)];
  exploringOrders.add(order);
  return order;
}

/**
 * The orders made on an exploring turn (a new array each, 1 request in `EXPLORE_EVERY`): kept
 * aside rather than returned beside the order, so the other 19 requests make no object to say no.
 */
const exploringOrders = new WeakSet<readonly Route[]>();

/**
 * Whether `order` (from `orderRoutes`) puts a slower route first to measure it again: a failure
 * there is the gateway's experiment failing, so the request goes on to the fastest at once
 * (`DispatchRun`), never waiting on that route's retry.
 */
export const explores = (order: readonly Route[]): boolean => exploringOrders.has(order);

/** By score; equal scores in config order. */
const stableSort = (routes: readonly Route[], score: (route: Route) => number): readonly Route[] =>
  routes
    .map((route, index) => ({ route, index, score: score(route) }))
    .sort(byScore)
    .map((entry) => entry.route);

const byScore = (a: Scored, b: Scored) => a.score - b.score || a.index - b.index;

interface Scored {
  readonly route: Route;
  /** Its place among routes of equal score. */
  index: number;
  readonly score: number;
}

/** Weighted random order without replacement (Efraimidis–Spirakis keys). */
function weightedShuffle(routes: readonly Route[], random: () => number): Route[] {
  return routes
    .map((route) => ({ route, key: random() ** (1 / route.weight) }))
    .sort((a, b) => b.key - a.key)
    .map((entry) => entry.route);
}
