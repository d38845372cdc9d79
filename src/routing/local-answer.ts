import type { JsonObject, Operation } from "../core/dialect.ts";
import type { Provider } from "../providers/provider.ts";
import { estimateInputTokens } from "../translate/anthropic-to-openai/count-tokens-estimate.ts";
import { chatUpstreamNeeds } from "./chat-upstream-needs.ts";

/**
 * What the gateway answers itself when no route's upstream can serve the operation: count_tokens
 * gets an estimate from a real tokenizer (translate/anthropic-to-openai/count-tokens-estimate.ts)
 * instead of a 400 — on an OpenAI-type route, or a cloud route whose vendor cannot count for the
 * model —, of what `provider` (the first route's passed over) would be sent of the conversation:
 * its thinking only where it takes reasoning back. Undefined for every other operation.
 */
export function localAnswer(
  operation: Operation,
  body: JsonObject,
  provider: Provider | undefined,
): Promise<JsonObject> | undefined {
  if (operation !== "count_tokens") return undefined;
  const readsThinking = provider !== undefined && chatUpstreamNeeds(provider).reasoningBack === true;
  return estimateInputTokens(body, readsThinking);
}
