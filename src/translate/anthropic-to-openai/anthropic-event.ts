import type { JsonObject } from "../../core/dialect.ts";
import type { SseEvent } from "../../core/sse.ts";

/** Builds one Anthropic SSE event; the event name always equals the payload's `type`. */
export function anthropicEvent(payload: JsonObject & { type: string }): SseEvent {
  return { event: payload.type, data: JSON.stringify(payload) };
}
