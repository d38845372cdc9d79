import type { JsonObject } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import { estimatedInputTokens } from "./prompt-estimate.ts";

/**
 * Whether a stream's usage says what it used: a figure of its own (a 0 beside another too: a
 * prompt Gemini blocked wrote nothing), not none at all nor zeros alone (a server's placeholders).
 */
export const reportsUsage = (usage: Usage | undefined): boolean =>
  usage !== undefined && (usage.inputTokens > 0 || usage.outputTokens > 0);

/**
 * What a stream whose upstream reported no usage (`reportsUsage`) used, by the gateway's count:
 * the prompt as a whole answer's is (`estimatedInputTokens`), the answer a token for each data
 * event the upstream sent but its end marker (every OpenAI-compatible server that omits usage
 * streams about a token a chunk). One figure, charged and audited (http/stream-usage.ts) and told
 * the caller where its dialect says usage at the end (a chat caller's usage chunk when it asked
 * for one, `message_delta`, `response.completed`): the relay that tells it records it as the
 * stream's usage, so the record says what the caller was told.
 */
export function estimatedStreamUsage(prompt: JsonObject, upstreamEvents: number): Usage {
  return { inputTokens: estimatedInputTokens(prompt), outputTokens: upstreamEvents };
}
