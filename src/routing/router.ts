import { modelNotFound } from "../core/gateway-error.ts";
import type { Dispatched, DispatchRequest } from "./dispatch.ts";
import type { DispatchDeps } from "./dispatch-deps.ts";
import { DispatchRun } from "./dispatch-run.ts";
import { explores, orderRoutes } from "./order-routes.ts";
import type { RouteTable } from "./route-table.ts";
import type { RoutingPolicy } from "./routing-policy.ts";

export type { Dispatched, DispatchRequest, ReceivedRequest } from "./dispatch.ts";

/** What a router needs: its snapshot and policy, and what each dispatch needs (dispatch-deps.ts). */
export interface RouterDeps extends Pick<DispatchDeps, "health" | "log" | "shadow" | "mayShadow"> {
  /** The current snapshot; read once per request so a reload never changes a request midway. */
  readonly table: () => RouteTable;
  readonly policy: () => RoutingPolicy;
  /** Defaults to Math.random. */
  readonly random?: () => number;
}

export type Router = (request: DispatchRequest) => Promise<Dispatched>;

/**
 * Tries a model's routes in strategy order. Retries (with backoff) and failover happen only
 * until the first byte of an answer is in hand; after that the answer is the client's.
 * Each request's walk is a `DispatchRun` (dispatch-run.ts).
 */
export function createRouter(deps: RouterDeps): Router {
  const runDeps: DispatchDeps = {
    health: deps.health,
    log: deps.log,
    random: deps.random ?? Math.random,
    shadow: deps.shadow,
    mayShadow: deps.mayShadow,
  };

  return function dispatch(request) {
    try {
      const plan = deps.table().resolve(request.model, request.tenant);
      if (!plan || plan.routes.length === 0) {
        throw modelNotFound(request.model);
      }
      const routes = orderRoutes(plan.routes, plan.strategy, runDeps.health, runDeps.random, plan.turns);
      const explored = plan.strategy === "latency" && explores(routes);
      // The config's own policy object, passed down as it is (no per-request copy of its fields).
      return new DispatchRun(routes, plan, request, deps.policy(), runDeps, explored).next();
    } catch (error) {
      return Promise.reject(error);
    }
  };
}
