import type { JsonObject } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { estimatedInputTokens } from "../translate/prompt-estimate.ts";

/**
 * What a streamed answer used: the upstream's own figures, as it reported them (a 0 output too: a
 * Gemini prompt it blocked wrote nothing, its input counted); where a stream ended without any, or
 * with zeros alone (the client left before the
 * last chunk, which alone carries an OpenAI stream's usage; a server that ignores
 * `stream_options`), an estimate in their place — the prompt as a whole answer's is
 * (`estimatedInputTokens`: text at four characters a token, an image, a document, a clip at its
 * own figure, its base64 never read, a token id one token), the answer a token for each data event
 * the upstream sent but its end marker (`ChunkSource.upstreamEvents`: every OpenAI-compatible server
 * that omits usage streams about a token a chunk), counted where the relays read those events
 * anyway: nothing spent on the many streams that report usage, and the same upstream stream
 * charged the same whichever front door it went out of. So an answer that was streamed is not
 * free: tokens-per-minute limits and budgets would not see it, and a client could read every token
 * and hang up before the count to pay nothing.
 */
export function streamUsage(dispatched: Dispatched, prompt: JsonObject): Usage {
  const usage = dispatched.usage();
  const reply = dispatched.reply;
  // A stream cut short holds only the figures sent before its end: an Anthropic stream's
  // `message_start` says 1 output token, its `message_delta` at the end the real count. What was
  // relayed is counted then, whichever is more.
  const cutShort = reply.kind === "stream" && reply.chunks.complete !== true;
  // Any figure of its own stands (a prompt Gemini blocked: its input, 0 output); none at all, or
  // only zeros (a server's placeholders), is estimated, as a whole answer's is (whole-usage.ts).
  const seen = usage.inputTokens > 0 || usage.outputTokens > 0;
  if (seen && !cutShort) return usage;
  const relayed = reply.kind === "stream" ? (reply.chunks.upstreamEvents ?? 0) : 0;
  return {
    ...usage,
    inputTokens: seen ? usage.inputTokens : estimatedInputTokens(prompt),
    outputTokens: Math.max(usage.outputTokens, relayed),
  };
}
