import { dialectOf, type Operation } from "../core/dialect.ts";
import { type GatewayError, unsupportedOperation } from "../core/gateway-error.ts";
import type { Provider } from "../providers/provider.ts";
import { upstreamName } from "../providers/upstream-name.ts";
import type { ResponsesContext } from "./adapt-dialect.ts";
import { translatesChat } from "./translated-chat.ts";

// Which calls `adaptDialect` has a way to send to a provider, as they came or translated, and the
// refusal of one it has none for.

/**
 * The refusal of a call of `operation` that `provider` has no way to serve (`servesOperation`),
 * made before any attempt: also the caller's answer when every route skipped is one (routes-tried.ts).
 */
export const cannotServe = (operation: Operation, provider: Provider, model: string): GatewayError =>
  unsupportedOperation(
    `model ${model} is served by ${upstreamName(provider.name)}, which cannot serve ${operation}`,
  );

/**
 * Whether `adaptDialect` has a way to send a call of `operation` to `provider`, as it came or
 * translated, where it would otherwise refuse it (`unsupported_operation`) before any attempt.
 * Asked too of a route the router skipped (routes-tried.ts): one that could not serve the call
 * either is no reason to come back later.
 */
export const servesOperation = (
  operation: Operation,
  provider: Provider,
  responses?: ResponsesContext,
): boolean => goesAsSent(operation, provider, responses) || translates(operation, provider);

/**
 * Whether a call of `operation` not sent as it came has a translation to `provider`'s API (a
 * completions call has none: only an upstream of OpenAI's dialect serves it, as sent).
 */
export function translates(operation: Operation, provider: Provider): boolean {
  switch (operation) {
    case "responses":
      return true;
    case "chat":
      return translatesChat(provider);
    case "embeddings":
      return provider.embeddingsTarget !== undefined;
    case "messages":
      return provider.dialect === "openai";
    case "count_tokens":
      return provider.countsTokens === true;
    default:
      return false;
  }
}

/**
 * Whether `adaptDialect` sends a call of `operation` to `provider` in the caller's own dialect
 * (`AdaptedCall.native`), so that the request's bytes as received may go with it: the Responses
 * API to an upstream that serves it and takes them, a call of the provider's own dialect to a
 * provider that does not translate it itself. A provider that translates chat itself serves no
 * other call of the dialect unless it says so (embeddings): a completions call is refused, before
 * any attempt, as on Anthropic.
 */
export function goesAsSent(operation: Operation, provider: Provider, responses?: ResponsesContext): boolean {
  if (operation === "responses")
    return (
      responses !== undefined &&
      provider.dialect === "openai" &&
      provider.responsesApi === true &&
      provider.passThrough === true
    );
  if (operation === "chat" && translatesChat(provider)) return false;
  if (operation === "embeddings" && provider.embeddingsTarget) return false;
  return dialectOf(operation) === provider.dialect && provider.chatTarget === undefined;
}
