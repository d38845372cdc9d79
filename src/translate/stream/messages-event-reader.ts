import { upstreamError } from "../../core/gateway-error.ts";
import type { SseEvent } from "../../core/sse.ts";
import { type AnthropicStreamEvent, anthropicStreamEvent } from "../anthropic-schema.ts";
import { parseEventData } from "../parse-body.ts";
import { usageFromAnthropic } from "../usage-mapping.ts";
import { inBandError } from "./in-band-error.ts";
import type { StreamRead } from "./stream-driver.ts";

/** Reads one Anthropic Messages stream event; `message_stop` is the last one the driver reads. */
export function readMessagesEvent(event: SseEvent): StreamRead<AnthropicStreamEvent> {
  const body = parseEventData(event.data);
  const parsed = anthropicStreamEvent.safeParse(body);
  if (!parsed.success) {
    if (event.event === "ping") return { kind: "skip" };
    throw upstreamError("upstream sent an unreadable stream event");
  }
  const data = parsed.data;
  if (data.type === "error") return { kind: "error", error: inBandError("anthropic", body) };
  if (data.type === "ping") return { kind: "skip" };
  const usage =
    data.type === "message_start" || data.type === "message_delta" ? usageFromAnthropic(data) : undefined;
  return {
    kind: "chunk",
    chunk: data,
    ...(usage ? { usage } : {}),
    ...(data.type === "message_stop" ? { last: true } : {}),
  };
}
