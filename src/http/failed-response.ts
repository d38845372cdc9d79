import type { JsonObject } from "../core/dialect.ts";
import { newResponseId } from "../translate/responses/chat-response-to-response.ts";
import type { OpenedResponse } from "./stream-tail.ts";

/**
 * The response a `response.failed` the gateway writes fails: the one the stream opened with, by its
 * id and the `previous_response_id` it said, and nothing more of it (its instructions, tools and
 * input, echoed by its `response.created`, were said then); one of the gateway's own when none
 * opened. An SSE stream's (http/sse-response.ts) and a Responses WebSocket turn's
 * (responses-socket/socket-events.ts) alike.
 */
export function failedResponse(opened: OpenedResponse | undefined): JsonObject {
  const failed: JsonObject = {
    id: opened?.id ?? newResponseId(),
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    incomplete_details: null,
  };
  if (opened?.previous_response_id !== undefined) failed.previous_response_id = opened.previous_response_id;
  return failed;
}

/** What `failedResponse` keeps of the `response` a stream's event carries: undefined without an id. */
export function openedOf(response: JsonObject | undefined): OpenedResponse | undefined {
  if (typeof response?.id !== "string") return undefined;
  const previous = response.previous_response_id;
  return typeof previous === "string" || previous === null
    ? { id: response.id, previous_response_id: previous }
    : { id: response.id };
}
