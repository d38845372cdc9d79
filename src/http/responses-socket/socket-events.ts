import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { openAIErrorBody } from "../../core/openai-errors.ts";
import type { SocketError, SocketTurn } from "./socket-turn.ts";

/** A server event of a turn, as sent on the socket, and what the session must know of it. */
export interface TurnEvent {
  /** The event's JSON text: the stream's own bytes unless the turn's lane or chain is echoed in it. */
  readonly text: string;
  readonly type: string;
  /** The `response` it carries (`response.created`, `.completed`, …), if any. */
  readonly response: JsonObject | undefined;
}

/**
 * One event of the turn's Responses stream (an SSE event's data), as its socket message: the
 * turn's `stream_id` added, and the `previous_response_id` the turn was continued from put back
 * into its `response` (an upstream serving the Responses API was sent the conversation whole,
 * without it). Undefined for what is no event
 * (`[DONE]`, a line that is no JSON object).
 */
export function turnEvent(data: string, turn: SocketTurn): TurnEvent | undefined {
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return undefined;
  }
  if (!isJsonObject(event) || typeof event.type !== "string") return undefined;
  const response = isJsonObject(event.response) ? event.response : undefined;
  let edited = false;
  if (turn.streamId !== undefined) {
    event.stream_id = turn.streamId;
    edited = true;
  }
  if (turn.continued !== undefined && response) {
    response.previous_response_id = turn.continued.id;
    edited = true;
  }
  return { text: edited ? JSON.stringify(event) : data, type: event.type, response };
}

/** The socket's `error` event: the HTTP status the error stands for, and OpenAI's error fields. */
export function errorEvent(error: SocketError, streamId: string | undefined): string {
  const { status, ...fields } = error;
  return JSON.stringify({
    type: "error",
    status,
    error: fields,
    ...(streamId === undefined ? {} : { stream_id: streamId }),
  });
}

/** A turn refused before it streamed: the front door's error reply (OpenAI's body) as a socket error. */
export function replyError(status: number, text: string): SocketError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = openAIErrorBody.safeParse(body);
  const error = parsed.success ? parsed.data.error : undefined;
  return {
    status,
    type: error?.type ?? (status >= 500 ? "server_error" : "invalid_request_error"),
    code: error?.code === undefined || error.code === null ? null : String(error.code),
    message: error?.message ?? ((error ? "" : text) || `request failed with status ${status}`),
    param: error?.param ?? null,
  };
}
