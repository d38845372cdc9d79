import type { GatewayError } from "../core/gateway-error.ts";
import { answersInAudio } from "../translate/chat-target.ts";
import { servesOperation } from "./adapt-dialect.ts";
import type { DispatchRequest } from "./dispatch.ts";
import type { Route } from "./route.ts";
import { chatTargetOf } from "./translated-chat.ts";

/**
 * Whether `route`, skipped before any attempt (too small for the prompt, or out of service), passes
 * the check the routes tried were refused by (`refusal`: they cannot serve the call), the one made
 * before sending: `adaptDialect` has a way to send the operation to its provider, or, for audio,
 * its API answers in audio (a chat upstream, which gets the call as sent). Only a route that could
 * have served the call makes why it was skipped the caller's answer (routes-tried.ts `exhausted`).
 */
export function couldServe(refusal: GatewayError, route: Route, request: DispatchRequest): boolean {
  const { provider } = route;
  if (refusal.code === "unsupported_operation")
    return servesOperation(request.operation, provider, request.responses);
  const target = chatTargetOf(provider);
  return target === undefined || answersInAudio(target);
}
