import { anthropicWireError } from "./anthropic-errors.ts";
import type { Dialect } from "./dialect.ts";
import type { GatewayError } from "./gateway-error.ts";
import { openAIWireError } from "./openai-errors.ts";
import type { SseEvent } from "./sse.ts";

/**
 * The error object in the caller's dialect: the one place error bodies are shaped, for
 * replies and stream events alike. An upstream's error body reaches a caller of the same
 * dialect as the upstream sent it; every other error maps through that dialect's one table
 * (openai-errors.ts, anthropic-errors.ts).
 */
export function errorBody(error: GatewayError, dialect: Dialect): Record<string, unknown> {
  const upstream = error.upstream;
  if (upstream?.body && upstream.dialect === dialect) return upstream.body;
  if (dialect === "anthropic") return { type: "error", error: anthropicWireError(error) };
  return { error: openAIWireError(error) };
}

/**
 * How a chat or messages stream that already started reports a failure: OpenAI's bare
 * `data: {"error":…}` chunk, or Anthropic's `error` event. (The Responses stream numbers its
 * own `error` event, with these same fields: translate/responses/responses-stream-writer.ts.)
 */
export function errorEvent(error: GatewayError, dialect: Dialect): SseEvent {
  const data = JSON.stringify(errorBody(error, dialect));
  return dialect === "anthropic" ? { event: "error", data } : { data };
}
