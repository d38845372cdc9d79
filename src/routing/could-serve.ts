import type { GatewayError } from "../core/gateway-error.ts";
import { audioRefusal } from "../translate/answers-in-audio.ts";
import type { DispatchRequest } from "./dispatch.ts";
import type { Route } from "./route.ts";
import { cannotServe, servesOperation } from "./serves-operation.ts";
import { chatTargetOf } from "./translated-chat.ts";

/**
 * The refusal `adaptDialect` would make of the call for `route` before sending it, if any: no way
 * to send the operation to its provider (`unsupported_operation`), or audio asked of an API that
 * answers in text (`unsupported_modality`, a chat call only: a chat upstream gets it as sent).
 * Asked of the routes the router skipped (too small for the prompt, or out of service) when no
 * route answered (routes-tried.ts `exhausted`). Only this check before sending is modelled: a
 * refusal made at run time (a Bedrock model with no embeddings family, a cloud that cannot count
 * for its model) is not foreseen, and such a route is taken as one that might have served.
 */
export function refusalBefore(route: Route, request: DispatchRequest): GatewayError | undefined {
  const { provider } = route;
  const { operation } = request;
  if (!servesOperation(operation, provider, request.responses))
    return cannotServe(operation, provider, request.model);
  const target = operation === "chat" ? chatTargetOf(provider) : undefined;
  return target && audioRefusal(request.body, target);
}

/**
 * Whether `route`, skipped before any attempt, could have served the call (`refusalBefore` finds
 * nothing): only such a route makes why it was skipped the caller's answer (routes-tried.ts).
 */
export const couldServe = (route: Route, request: DispatchRequest): boolean =>
  refusalBefore(route, request) === undefined;
