import type { JsonObject } from "../core/dialect.ts";
import { newResponseId } from "../translate/responses/chat-response-to-response.ts";

/** What a failure the gateway writes into a relayed Responses stream keeps of the response it fails. */
export interface OpenedResponse {
  readonly id: string;
  /** As the opening said it: the failed response is the one the caller saw created, at that time. */
  readonly created_at?: number;
  /** As the opening said it (the caller's id for a chain the gateway expanded: routing/relay-scan.ts); absent when it said none. */
  readonly previous_response_id?: string | null;
}

/**
 * The response a `response.failed` the gateway writes fails: the one the stream opened with, by its
 * id, its `created_at` and the `previous_response_id` it said, and nothing more of it (its instructions, tools and
 * input, echoed by its `response.created`, were said then); one of the gateway's own when none
 * opened. An SSE stream's (http/sse-response.ts) and a Responses WebSocket turn's
 * (responses-socket/socket-events.ts) alike.
 */
export function failedResponse(opened: OpenedResponse | undefined): JsonObject {
  const failed: JsonObject = {
    id: opened?.id ?? newResponseId(),
    object: "response",
    created_at: opened?.created_at ?? Math.floor(Date.now() / 1000),
    incomplete_details: null,
  };
  if (opened?.previous_response_id !== undefined) failed.previous_response_id = opened.previous_response_id;
  return failed;
}

/** What `failedResponse` keeps of the `response` a stream's event carries: undefined without an id. */
export function openedOf(response: JsonObject | undefined): OpenedResponse | undefined {
  if (typeof response?.id !== "string") return undefined;
  const { created_at: created, previous_response_id: previous } = response;
  return {
    id: response.id,
    ...(typeof created === "number" ? { created_at: created } : {}),
    ...(typeof previous === "string" || previous === null ? { previous_response_id: previous } : {}),
  };
}
