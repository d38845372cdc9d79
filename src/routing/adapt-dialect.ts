import { dialectOf, isJsonObject, type JsonObject, type Operation } from "../core/dialect.ts";
import { badRequest } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Provider, ProviderReply } from "../providers/provider.ts";

/** A call as the provider must receive it, and how to turn its reply back. */
export interface AdaptedCall {
  operation: Operation;
  body: JsonObject;
  /** Maps the provider's reply into the caller's dialect. */
  toCaller(reply: ProviderReply): ProviderReply;
}

const same = (reply: ProviderReply) => reply;

/**
 * The one place that decides whether a call crosses dialects. Same-dialect calls pass
 * through untouched (every unknown field kept); the translations live in src/translate/.
 */
export function adaptDialect(operation: Operation, body: JsonObject, provider: Provider): AdaptedCall {
  if (dialectOf(operation) === provider.dialect) {
    if (provider.dialect === "openai" && body.stream === true && (operation === "chat" || operation === "completions")) {
      return withForcedUsage(operation, body);
    }
    return { operation, body, toCaller: same };
  }
  throw badRequest(`the route's provider ${provider.name} cannot serve ${operation}`);
}

/**
 * Token limits and audit need usage for every stream, so it is always requested upstream;
 * the extra usage-only chunk is removed again for callers that did not ask for it.
 */
function withForcedUsage(operation: Operation, body: JsonObject): AdaptedCall {
  const options = isJsonObject(body.stream_options) ? body.stream_options : {};
  if (options.include_usage === true) return { operation, body, toCaller: same };
  return {
    operation,
    body: { ...body, stream_options: { ...options, include_usage: true } },
    toCaller: (reply) => (reply.kind === "stream" ? { ...reply, events: dropUsageChunks(reply.events) } : reply),
  };
}

/** OpenAI's usage chunk is the one with an empty `choices` list. */
const USAGE_ONLY = /"choices"\s*:\s*\[\s*\]/;

async function* dropUsageChunks(events: AsyncIterable<SseEvent>): AsyncGenerator<SseEvent> {
  for await (const event of events) {
    if (USAGE_ONLY.test(event.data) && /"usage"\s*:\s*\{/.test(event.data)) continue;
    yield event;
  }
}
