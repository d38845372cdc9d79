import type { JsonObject } from "../core/dialect.ts";
import type { Usage } from "../core/usage.ts";
import type { Dispatched } from "../routing/dispatch.ts";
import { estimatedStreamUsage, reportsUsage } from "../translate/stream-estimate.ts";

/**
 * What a streamed answer used: the upstream's own figures, as it reported them (a 0 output too: a
 * Gemini prompt it blocked wrote nothing, its input counted); where a stream ended without any, or
 * with zeros alone (the client left before the
 * last chunk, which alone carries an OpenAI stream's usage; a server that ignores
 * `stream_options`), an estimate in their place (translate/stream-estimate.ts: the prompt as a
 * whole answer's is, the answer a token for each data event the upstream sent but its end marker
 * and a chunk of usage alone, `ChunkSource.upstreamEvents`), counted where the relays read those events anyway: nothing spent
 * on the many streams that report usage, and the same upstream stream charged the same whichever
 * front door it went out of. A stream that ended whole told its caller that estimate where its
 * dialect says usage, and its relay recorded it as the stream's usage: it stands here as reported.
 * So an answer that was streamed is not free: tokens-per-minute limits and budgets would not see
 * it, and a client could read every token and hang up before the count to pay nothing.
 */
export function streamUsage(dispatched: Dispatched, prompt: JsonObject): Usage {
  const usage = dispatched.usage();
  const reply = dispatched.reply;
  // A stream cut short holds only the figures sent before its end: an Anthropic stream's
  // `message_start` says 1 output token, its `message_delta` at the end the real count. What was
  // relayed is counted then, whichever is more.
  const cutShort = reply.kind === "stream" && reply.chunks.complete !== true;
  const seen = reportsUsage(usage);
  if (seen && !cutShort) return usage;
  const relayed = reply.kind === "stream" ? (reply.chunks.upstreamEvents ?? 0) : 0;
  if (!seen) return { ...usage, ...estimatedStreamUsage(prompt, relayed) };
  return { ...usage, outputTokens: Math.max(usage.outputTokens, relayed) };
}
