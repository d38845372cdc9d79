import { isJsonObject, type JsonObject, type Operation } from "../core/dialect.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Provider } from "../providers/provider.ts";
import { withBase64Embeddings } from "../translate/base64-embeddings.ts";
import type { AdaptedCall } from "./adapt-dialect.ts";
import { usageAlone } from "./answer-event.ts";

/** The answer as the upstream gave it: a same-dialect call's, a count's. */
export const identity: Pick<AdaptedCall, "json"> = { json: (body) => body };

/**
 * The common call, the client's own dialect as it came: one shared marker, not an object made
 * per request (nothing writes to it).
 */
const AS_RECEIVED: NonNullable<AdaptedCall["native"]> = Object.freeze({ forcedUsage: false });

/** A same-dialect call sent as received, built without a spread (the hot path). */
const asReceived = (operation: Operation, body: JsonObject): AdaptedCall => ({
  operation,
  body,
  json: identity.json,
  native: AS_RECEIVED,
});

/** A call that goes upstream in the client's own dialect, as the client sent it (forced usage aside). */
export function sameDialect(operation: Operation, body: JsonObject, provider: Provider): AdaptedCall {
  if (
    provider.dialect === "openai" &&
    body.stream === true &&
    (operation === "chat" || operation === "completions")
  ) {
    return withForcedUsage(operation, body);
  }
  if (operation === "embeddings" && body.encoding_format === "base64" && !provider.embeddingsTarget)
    return base64EmbeddingsCall(body);
  return asReceived(operation, body);
}

/**
 * An embeddings call that asked `encoding_format: "base64"` (the OpenAI SDKs' default), sent as
 * received: an answer of number arrays (a server that ignores the format) reaches the caller in
 * base64, as it asked, relayed bytes (native-reply.ts) or a parsed answer (`json`) alike; an answer
 * in base64 goes on as it came. A provider that translates embeddings writes base64 itself.
 */
const base64EmbeddingsCall = (body: JsonObject): AdaptedCall => ({
  operation: "embeddings",
  body,
  json: inBase64,
  native: BASE64_EMBEDDINGS,
});

const inBase64 = (answer: JsonObject): JsonObject => withBase64Embeddings(answer) ?? answer;

/** The marker of that call: shared, not made per request (nothing writes to it). */
const BASE64_EMBEDDINGS: NonNullable<AdaptedCall["native"]> = Object.freeze({
  forcedUsage: false,
  base64Embeddings: true,
});

/**
 * Token limits and audit need usage for every stream, so it is always requested upstream;
 * the extra usage-only chunk is removed again for callers that did not ask for it.
 */
function withForcedUsage(operation: Operation, body: JsonObject): AdaptedCall {
  const options = isJsonObject(body.stream_options) ? body.stream_options : {};
  if (options.include_usage === true) return asReceived(operation, body);
  return {
    operation,
    body: { ...body, stream_options: { ...options, include_usage: true } },
    json: identity.json,
    native: FORCED_USAGE,
    keep: notForcedUsage,
  };
}

/** A forced-usage call's marker and filter: shared, not made per stream (nothing writes to them). */
const FORCED_USAGE: NonNullable<AdaptedCall["native"]> = Object.freeze({ forcedUsage: true });

/** OpenAI's usage chunk is the one with no choice (answer-event.ts). */
const notForcedUsage = (event: SseEvent): boolean => !usageAlone(event.data);
