import type { JsonObject } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { estimatedInputTokens } from "../translate/prompt-estimate.ts";

/**
 * What a streamed answer used: the upstream's own figures, and where a stream ended without one
 * (the client left before the last chunk, which alone carries an OpenAI stream's usage; a server
 * that never sends it), an estimate in its place — the prompt as a whole answer's is estimated
 * (`estimatedInputTokens`: text at four characters a token, an image, a document, a clip at its
 * own figure, its base64 never read, a token id one token), the answer one token per
 * event relayed. Never 0 for an answer that was streamed: tokens-per-minute limits and budgets
 * would not see it, and a client could read every token and hang up before the count to pay
 * nothing.
 */
export function streamUsage(dispatched: Dispatched, prompt: JsonObject): Usage {
  const usage = dispatched.usage();
  const reply = dispatched.reply;
  // A stream cut short holds only the figures sent before its end: an Anthropic stream's
  // `message_start` says 1 output token, its `message_delta` at the end the real count. What was
  // relayed is counted then, whichever is more.
  const cutShort = reply.kind === "stream" && reply.chunks.complete !== true;
  if (usage.inputTokens > 0 && usage.outputTokens > 0 && !cutShort) return usage;
  const events = reply.kind === "stream" ? (reply.chunks.events ?? 0) : 0;
  return {
    ...usage,
    inputTokens: usage.inputTokens > 0 ? usage.inputTokens : estimatedInputTokens(prompt),
    outputTokens: cutShort ? Math.max(usage.outputTokens, events) : usage.outputTokens || events,
  };
}
