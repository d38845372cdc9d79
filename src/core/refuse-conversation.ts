import { badRequest } from "./gateway-error.ts";

/**
 * OpenAI's Conversations API is not served: the gateway keeps no conversations, and passes no
 * conversation id on to an upstream that has them (callers share its account, so a conversation
 * there would be every caller's). An answer without its history would be a wrong answer, not a
 * thinner one: refused whatever the policy, on every route; the Responses front door
 * (http/responses-context.ts) and the translation to chat both ask here.
 */
export function refuseConversation(request: { readonly conversation?: unknown }): void {
  if (request.conversation == null) return;
  throw badRequest(
    "conversation: the gateway does not support OpenAI's Conversations API; send the earlier turns in input, or continue with previous_response_id",
    "conversation",
  );
}
