import { upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { answeredModel } from "../answered-model.ts";
import { type AnthropicStreamEvent, anthropicSchemas } from "../anthropic-schema.ts";
import { parseEventData, safeParseBody } from "../parse-body.ts";
import { usageFromAnthropic } from "../usage-mapping.ts";
import { inBandError } from "./in-band-error.ts";
import { plainMessagesEvent } from "./plain-messages-event.ts";
import type { StreamRead } from "./stream-translation.ts";

/** Reads one Anthropic Messages stream event; `message_stop` is the last one the driver reads. */
export function readMessagesEvent(event: SseEvent): StreamRead<AnthropicStreamEvent> {
  const body = parseEventData(event.data);
  // The everyday event is checked by hand; zod judges the rest (errors, tool use, anything odd).
  const data = plainMessagesEvent(body) ?? judged(body, event);
  if (data === undefined) return { kind: "skip" };
  if (data.type === "error") return { kind: "error", error: inBandError("anthropic", body) };
  if (data.type === "ping") return { kind: "skip" };
  const usage =
    data.type === "message_start" || data.type === "message_delta" ? usageFromAnthropic(data) : undefined;
  return {
    kind: "chunk",
    chunk: data,
    // `message_start` names the model, with the prompt's usage.
    ...(usage ? { usage, model: answeredModel(data) } : {}),
    ...(data.type === "message_stop" ? { last: true } : {}),
  };
}

/** zod's reading of an event the hand check left; undefined for an unreadable `ping` (skipped). */
function judged(body: unknown, event: SseEvent): AnthropicStreamEvent | undefined {
  const parsed = safeParseBody(anthropicSchemas().streamEvent, body);
  if (parsed.success) return parsed.data;
  if (event.event === "ping") return undefined;
  throw upstreamError("upstream sent an unreadable stream event");
}
