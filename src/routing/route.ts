import { type AttemptTimeouts, type Provider, vendorOf } from "../providers/provider.ts";
import type { AttemptInfo } from "../telemetry/dispatch-telemetry.ts";

/** One way to serve a client-facing model: a provider and the model name it knows. */
export interface Route {
  readonly provider: Provider;
  readonly upstreamModel: string;
  readonly weight: number;
  readonly timeouts: AttemptTimeouts;
  /** Stable identity for health tracking: `provider/model`. */
  readonly key: string;
  /**
   * The longest bounds, phase by phase, of any configured route whose health is this one's (the
   * same `key`; upstream-patience.ts): a timeout of this route's own bound sooner than that is no
   * verdict on the upstream. Absent: this route's own `timeouts`, so its every timeout counts.
   */
  readonly patience?: AttemptTimeouts;
  /** What audit rows and logs show: `provider:<name>` or `worker:<name>`. */
  readonly label: string;
  /**
   * Its model's `fallback_on` has `content_policy`: an answer that is a content filter's refusal
   * (`ProviderReply.refusal`) fails over instead of answering.
   */
  readonly refusalFailsOver?: boolean;
  /** The upstream model's context window in tokens, where config or the catalogue knows it. */
  readonly contextWindow?: number;
  /**
   * What telemetry is told of a first try on this route (no retry, no failover), made with the
   * route and shared by every request's first attempt on it (`attemptInfo`).
   */
  readonly firstTry?: AttemptInfo;
}

/**
 * What telemetry is told of an attempt on `route`: the route's own `firstTry` for a first try,
 * where it still describes the route (a copy that renames the model, as a `*` route's per-request
 * plan makes, does not), else a record made for this attempt.
 */
export function attemptInfo(
  route: Pick<Route, "label" | "provider" | "upstreamModel" | "firstTry">,
  retry: number,
  failover: boolean,
): AttemptInfo {
  const first = route.firstTry;
  if (
    retry === 0 &&
    !failover &&
    first !== undefined &&
    first.route === route.label &&
    first.upstreamModel === route.upstreamModel &&
    first.vendor === vendorOf(route.provider)
  )
    return first;
  return {
    route: route.label,
    vendor: vendorOf(route.provider),
    upstreamModel: route.upstreamModel,
    retry,
    failover,
  };
}
