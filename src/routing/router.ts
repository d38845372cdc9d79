import { modelNotFound } from "../core/gateway-error.ts";
import type { Dispatched, DispatchRequest } from "./dispatch.ts";
import type { DispatchDeps } from "./dispatch-deps.ts";
import { DispatchRun } from "./dispatch-run.ts";
import { explores, orderRoutes } from "./order-routes.ts";
import type { RouteHealth } from "./route-health.ts";
import type { ModelPlan, RouteTable } from "./route-table.ts";
import type { RoutingPolicy } from "./routing-policy.ts";

export type { Dispatched, DispatchRequest, ReceivedRequest } from "./dispatch.ts";

export interface RouterDeps {
  /** The current snapshot; read once per request so a reload never changes a request midway. */
  readonly table: () => RouteTable;
  readonly health: RouteHealth;
  readonly policy: () => RoutingPolicy;
  readonly log: DispatchDeps["log"];
  readonly random?: () => number;
  /**
   * Shadow copies, off the client's path (shadow/): called once the primary has committed, with
   * the model's shadow (if any; a tenant's or an app's may apply instead). It samples, and returns
   * the answer to hand the client (the same, or one that also reports the primary's answer for
   * comparison). Must not wait or throw.
   */
  readonly shadow?: (
    modelShadow: ModelPlan["shadow"],
    request: DispatchRequest,
    primary: Dispatched,
  ) => Dispatched;
  /**
   * Whether `shadow` may copy the request (its sample above 0, for the caller's or the model's
   * shadow): a request translated for its route keeps the bytes it came as only while a copy may
   * be sent as it came (received-bytes.ts). Absent with `shadow` there: it may.
   */
  readonly mayShadow?: (modelShadow: ModelPlan["shadow"], request: DispatchRequest) => boolean;
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
