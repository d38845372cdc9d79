import { WORKERS_PROVIDER } from "../config/provider-config.ts";
import type { RouteHealth } from "./route-health.ts";

/**
 * The worker registry's `newlyServed`, and a cluster's for the workers other nodes hold (`node`,
 * cluster/newly-listed.ts): a worker that has just begun to serve a model is a way to serve
 * `workers/<model>` that its breaker, opened by the workers before it, has not tried: an open
 * breaker lets its next request through as a probe at once (RouteHealth.halfOpen).
 */
export const probeNewlyServed =
  (health: Pick<RouteHealth, "halfOpen">) =>
  (models: readonly string[], node?: string): void => {
    const why =
      node === undefined
        ? "a worker registered for its model"
        : `a worker registered for its model on node ${node}`;
    for (const model of models) health.halfOpen(`${WORKERS_PROVIDER}/${model}`, why);
  };
