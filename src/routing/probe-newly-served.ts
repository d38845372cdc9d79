import { WORKERS_PROVIDER } from "../config/provider-config.ts";
import type { RouteHealth } from "./route-health.ts";

/**
 * A new way to serve a route (a worker newly serving `workers/<model>`): `by`, as a failure names
 * who served it (`worker:<name>`), and the tenant whose callers it serves (with the default's).
 */
export interface Newcomer {
  readonly by: string;
  readonly tenant: string;
}

/** Whom a half-open breaker's probe goes to, until the cooldown the half-open cut short would have ended. */
export interface ProbePin extends Newcomer {
  readonly until: number;
}

/** Why a worker began to serve a model: it registered, or its key now permits more of what it offered. */
export type NewlyServedCause = "registered" | "key_widened";

const REASONS: Readonly<Record<NewlyServedCause, string>> = {
  registered: "a worker registered for its model",
  key_widened: "a worker's key now permits its model",
};

/**
 * The worker registry's `newlyServed`, and a cluster's for the workers other nodes hold (`node`,
 * cluster/newly-listed.ts): a worker that has just begun to serve a model is a way to serve
 * `workers/<model>` that its breaker, opened by the workers before it, has not tried: an open
 * breaker lets its next request through to it as a probe at once (RouteHealth.halfOpen, which lets
 * one a cooldown through and none for a worker that failed the route).
 */
export const probeNewlyServed =
  (health: Pick<RouteHealth, "halfOpen">) =>
  (newcomer: Newcomer, models: readonly string[], cause: NewlyServedCause, node?: string): void => {
    const why = node === undefined ? REASONS[cause] : `${REASONS[cause]} on node ${node}`;
    for (const model of models) health.halfOpen(`${WORKERS_PROVIDER}/${model}`, why, newcomer);
  };
