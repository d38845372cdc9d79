import { type GatewayError, toGatewayError } from "../core/gateway-error.ts";
import type { Provider } from "../providers/provider.ts";
import type { DispatchRequest } from "./dispatch.ts";
import type { Route } from "./route.ts";

/**
 * What a re-pick found after a worker's own failure: the worker to try at once; `busy`, when the
 * route's other workers that have not failed this request are all busy (the failed one was not
 * the last to take it, so its fault is not the route's); the failure to answer with when the
 * failed one is gone and no other worker of the route takes calls (each other one draining; none
 * left connected: the failed one's own end); or undefined: no other worker to take it.
 */
export type Repick = Provider | "busy" | GatewayError | undefined;

/**
 * The workers of this node a request was lost by, refused by as busy or draining, or failed by
 * through their own model server (down, refusing the worker's key, a 5xx: `Provider.ownFault`;
 * or a 429, which says only that server is busy) (`worker:<name>`): that worker's end, not the
 * route's. The route's other workers may serve at once, so the route is tried again without
 * spending a retry or waiting a backoff (`routing.retries: 0` is about upstream errors, not one
 * worker's) — but only when another worker can take it: the re-pick avoids every worker this
 * request already failed on (a busy one that said Retry-After: 1 is not sent the same call at
 * once), and with none other the failure spends a retry as any failure does. One a request, made
 * at its first such failure.
 *
 * A worker is avoided by its name, but it is a connection that was lost: one lost because the
 * worker registered again under its name (a restart while the old connection hung on, which the
 * new one replaces) has its new connection, another process that never had the call, as a worker
 * the request has not failed on — once a request, so a worker restarting again and again under
 * one name is not sent the call round and round. The same for a worker of another node, whose node
 * says it lost its connection so (`restartedThere`): sent the call again through that node. Any
 * other failure of another node's worker is not re-picked: it failed only once every node serving
 * the model had been tried.
 */
export class WorkerRepicks {
  private readonly failed = new Set<string>();
  /**
   * Names whose connection was replaced while it held this request, here (`replacedBy`) or on
   * another node (`restartedThere`).
   */
  private replaced: Set<string> | undefined;

  /**
   * After `upstream` failed with `failure` on `route`: what a re-pick found (`Repick`). Asked
   * before the route is judged: a worker's own fault counts against the route's breaker only when
   * no other worker takes calls, busy or not (try-route.ts `attemptFailed`); a draining one takes
   * none.
   */
  after(
    upstream: Provider,
    failure: GatewayError,
    route: Route,
    request: Pick<DispatchRequest, "responses" | "tenant">,
  ): Repick {
    // A worker of this node: one on another (`servedBy` names its node) failed only once every
    // node serving the model had been tried (cluster/forwarding-provider.ts), and another pick
    // would send the call round them again; but one whose node says a newer connection took its
    // name is that worker again, sent the call through its node as a worker of this node would be.
    if (upstream.servedBy !== undefined) return this.restartedThere(upstream, failure) ? upstream : undefined;
    if (!worksElsewhere(upstream, failure)) return undefined;
    if (this.failed.has(upstream.name)) return undefined;
    if (!this.replacedBy(upstream, failure, route, request.tenant)) this.failed.add(upstream.name);
    return otherWorker(upstream, failure, route, this.failed, request);
  }

  /**
   * Whether `upstream`, a worker of another node, was lost there to another connection registered
   * under its name (its node says so: `Provider.lostToRestart`), the first time for that name.
   */
  private restartedThere(upstream: Provider, failure: GatewayError): boolean {
    if (upstream.lostToRestart?.(failure) === undefined || this.replaced?.has(upstream.name)) return false;
    this.replaced ??= new Set();
    this.replaced.add(upstream.name);
    return true;
  }

  /**
   * Whether `upstream` was lost to another connection registered under its name, which now holds
   * it (the provider of a connection is its own: worker-provider.ts), the first time for that name.
   */
  private replacedBy(upstream: Provider, failure: GatewayError, route: Route, tenant: string): boolean {
    if (failure.code !== "worker_lost" || this.replaced?.has(upstream.name)) return false;
    const holder = route.provider.holder?.(upstream.name, tenant);
    if (holder === undefined || holder === upstream) return false;
    this.replaced ??= new Set();
    this.replaced.add(upstream.name);
    return true;
  }
}

/** Whether another worker may serve what `upstream` failed with: a failure of that worker alone. */
const worksElsewhere = (upstream: Provider, failure: GatewayError): boolean =>
  failure.code === "worker_lost" ||
  failure.code === "unavailable" ||
  failure.status === 429 ||
  upstream.ownFault?.(failure) === true;

/** A worker of the route this request has not failed on, if one can take it now (`failed` failed with `failure`). */
function otherWorker(
  failed: Provider,
  failure: GatewayError,
  route: Route,
  avoid: ReadonlySet<string>,
  request: Pick<DispatchRequest, "responses" | "tenant">,
): Repick {
  try {
    const other = route.provider.select?.(
      route.upstreamModel,
      request.responses?.previousHolder,
      request.tenant,
      avoid,
    );
    // A provider written before `avoid` may name the same worker again: no free attempt then.
    return other === undefined || avoid.has(other.name) ? undefined : other;
  } catch (thrown) {
    // None other can take it now. Every other one busy: still there to serve it once a slot frees.
    const none = toGatewayError(thrown);
    if (route.provider.onlyBusy?.(none) === true) return "busy";
    // None other takes calls (each failed it already, drains or is gone), the failed one still
    // connected: its failure is the answer, and the route's.
    if (route.provider.holder?.(failed.name, request.tenant) !== undefined) return undefined;
    // None left to take it: the caller hears why — every other one draining; or none connected,
    // when the failed one went with the request (its drain's close, or lost): then its own end,
    // in its words and with its Retry-After, which say more than that no worker is connected.
    return none.code === "no_route_available" && wentWith(failure, route) ? failure : none;
  }
}

/** Whether `failure` is a worker's end (lost, or closed while draining), not a busy one's refusal. */
const wentWith = (failure: GatewayError, route: Route): boolean =>
  failure.code === "worker_lost" ||
  (failure.code === "unavailable" && route.provider.onlyBusy?.(failure) !== true);

/** The route, its provider narrowed to the upstream already chosen (`select` answers it). */
export function pinnedTo(route: Route, chosen: Provider): Route {
  // Over the provider, not a copy of its own fields: a provider made by a class keeps its methods.
  const provider: Provider = Object.create(route.provider, { select: { value: () => chosen } });
  return { ...route, provider };
}
