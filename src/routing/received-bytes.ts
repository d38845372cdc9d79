import type { Provider } from "../providers/provider.ts";
import type { DispatchRequest } from "./dispatch.ts";
import type { DispatchDeps } from "./dispatch-deps.ts";
import type { Route } from "./route.ts";
import type { ModelPlan } from "./route-table.ts";
import { goesAsSent } from "./serves-operation.ts";
import { leavesOutUnsignedThinking } from "./unsigned-thinking-in.ts";

/**
 * Whether an attempt at `route` may send the request as it came: its bytes, the model spliced in
 * (upstream-body.ts `nativeRequest`). A route over several upstreams (connected workers, another
 * node's) picks one an attempt, each of its own abilities: it may. A Claude route never does
 * when the body carries thinking Claude did not sign: it goes without it, serialised
 * (claude-call.ts; a Messages server that takes such thinking back is sent the bytes).
 */
export function mayGoAsSent(
  route: Route,
  request: Pick<DispatchRequest, "operation" | "responses" | "received">,
): boolean {
  const provider = route.provider;
  if (provider.select !== undefined) return true;
  if (!takesCallerBytes(provider) || !goesAsSent(request.operation, provider, request.responses))
    return false;
  const received = request.received;
  return received === undefined || !leavesOutUnsignedThinking(provider, received.body, received);
}

/** Whether the provider may be sent the caller's bytes: it passes its dialect through, body included. */
export const takesCallerBytes = (provider: Provider): boolean =>
  provider.passThrough === true && provider.rebuildsBody !== true;

/**
 * Lets go of the bytes the request came as (`ReceivedRequest.bytes`) once an attempt translated it
 * and no later attempt may send them: none of `routes` from `from` on (the route just tried
 * included: its retry, another of its workers) goes as sent, and no shadow copy may be made
 * (`mayBeCopied`), whose route may, and the audit row is not made from them (`bytesAudited`). Such
 * a request waited on its upstream holding its body three times, the bytes beside the parsed body
 * (which every route is adapted from) and the translated body's serialisation (which the upstream
 * is sent, and sent again on a stale connection); twice now. A route that may send them keeps
 * them: a failover to it sends the client's bytes, not the parsed body serialised again.
 */
export function letGoOfReceived(
  request: DispatchRequest,
  routes: readonly Route[],
  from: number,
  copies: Pick<DispatchDeps, "shadow" | "mayShadow">,
  modelShadow: ModelPlan["shadow"],
): void {
  const received = request.received;
  if (
    received?.bytes === undefined ||
    received.bytesAudited === true ||
    mayBeCopied(copies, modelShadow, request)
  )
    return;
  for (let i = from; i < routes.length; i++) if (mayGoAsSent(routes[i] as Route, request)) return;
  received.bytes = undefined;
}

/** Whether a shadow copy of the request may be made once it is answered. */
function mayBeCopied(
  { shadow, mayShadow }: Pick<DispatchDeps, "shadow" | "mayShadow">,
  modelShadow: ModelPlan["shadow"],
  request: DispatchRequest,
): boolean {
  return mayShadow ? mayShadow(modelShadow, request) : shadow !== undefined;
}
