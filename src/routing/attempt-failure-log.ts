import { errorText } from "../audit/redact-body.ts";
import { describeError } from "../core/describe-error.ts";
import { messageForCallers } from "../core/for-callers.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { DispatchRequest } from "./dispatch.ts";
import type { DispatchDeps } from "./dispatch-deps.ts";
import type { RefusedHint } from "./refused-hint.ts";
import type { Route } from "./route.ts";

/**
 * A failed attempt the dispatch goes on from (or fails with), as the operator reads it. What the
 * provider itself threw (an embedder's provider, a socket's error) stays out of the answer
 * (core/gateway-error.ts providerFailure), and so do the upstream's own words when the caller gets
 * the gateway's (its credentials, account or route's model refused: `detail`) or gets them without
 * the gateway's upstream account, places and credentials (core/for-callers.ts); the operator reads them here, the reason
 * as the caller would be told it, as the access line's is, and both redacted and bounded (they may
 * quote a key).
 */
export function logRouteFailed(
  log: DispatchDeps["log"],
  request: DispatchRequest,
  route: Route,
  /** The worker it went to, as the access line and the audit row's attempts name it; else the route. */
  triedAs: string,
  failure: GatewayError,
): void {
  const cause = failure.cause === undefined ? "" : ` (${describeError(failure.cause)})`;
  const told = messageForCallers(failure);
  const kept = failure.detail ?? (told === failure.message ? undefined : failure.message);
  log("route failed", {
    request_id: request.requestId,
    route: triedAs,
    upstream_model: route.upstreamModel,
    error: failure.code,
    reason: errorText(`${told}${cause}`, true),
    ...(kept === undefined ? {} : { detail: errorText(kept, true) }),
  });
}

/** A field the caller's own API takes was refused by the route's model: the route is tried again without it. */
export function logRefusedField(
  log: DispatchDeps["log"],
  request: DispatchRequest,
  route: Route,
  refused: RefusedHint,
): void {
  const again =
    refused.renamed !== undefined
      ? `as ${refused.renamed}`
      : refused.level !== undefined
        ? `at effort ${refused.level}`
        : refused.fits === undefined
          ? "without it"
          : refused.fitsBy === "model"
            ? "with the most the model writes"
            : "with the max_tokens the window leaves";
  log(`route's model refused a field the caller's API takes: sent again ${again}`, {
    request_id: request.requestId,
    route: route.label,
    upstream_model: route.upstreamModel,
    field: [refused, ...(refused.also ?? [])].map((hint) => hint.path).join(", "),
    client_field: [refused, ...(refused.also ?? [])].map((hint) => hint.callerName).join(", "),
    ...(refused.fits === undefined ? {} : { max_tokens: refused.fits }),
    ...(refused.level === undefined ? {} : { effort: refused.level }),
  });
}
