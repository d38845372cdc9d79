import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { FINAL_RESPONSE_EVENTS } from "../../core/final-response-events.ts";
import { openAIErrorBody, openAIErrorType } from "../../core/openai-errors.ts";
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
 * What one SSE event's data of the turn's stream is to the socket: a Responses event, sent on;
 * nothing (`[DONE]`); or a failure, which ends the turn with the socket's `error` event: an error
 * chunk of any shape (a chat-style `{"error": …}`, as a stream kept alive before its route
 * answered ends when the route fails), or data that is no Responses event at all. Never silence:
 * a client waits for its turn's last event.
 */
export type TurnData =
  | { readonly kind: "event"; readonly event: TurnEvent }
  | { readonly kind: "nothing" }
  | { readonly kind: "failure"; readonly error: SocketError };

const NOTHING: TurnData = { kind: "nothing" };

/** The events a turn's stream ends with: after one, the turn is over. */
export const TURN_ENDS: ReadonlySet<string> = new Set([...FINAL_RESPONSE_EVENTS, "error"]);

/**
 * One event of the turn's Responses stream (an SSE event's data), as its socket message: the
 * turn's `stream_id` added, and the `previous_response_id` the turn was continued from put back
 * into its `response` (an upstream serving the Responses API was sent the conversation whole,
 * without it). See `TurnData` for what is not an event.
 */
export function turnData(data: string, turn: SocketTurn): TurnData {
  if (data === "[DONE]" || data === "") return NOTHING;
  let event: unknown;
  try {
    event = JSON.parse(data);
  } catch {
    return unreadable();
  }
  if (!isJsonObject(event)) return unreadable();
  if (typeof event.type !== "string") {
    if (event.error === undefined || event.error === null) return unreadable();
    return { kind: "failure", error: replyError(statusOfChunk(event.error), data) };
  }
  // The Responses stream's own error event (`{"type":"error","code","message",…}`: a route that
  // failed once the stream was committed) ends the turn as every failure does, with the socket's.
  if (event.type === "error" && event.error === undefined)
    return { kind: "failure", error: streamError(event) };
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
  const text = edited ? JSON.stringify(event) : data;
  return { kind: "event", event: { text, type: event.type, response } };
}

const unreadable = (): TurnData => ({
  kind: "failure",
  error: replyError(502, "the turn's stream sent an event that is not a Responses event"),
});

/**
 * The HTTP status each code an error chunk may carry stands for (the answer's own status went
 * out as 200 before it came), as the gateway answers it before a stream commits: an upstream's
 * 429 (`rate_limit_exceeded`) and the gateway's own limits, a prompt too long, a timeout, the
 * store or the workers unavailable. Any other code is a failure upstream's 502.
 */
const STATUS_OF_CODE: Readonly<Record<string, number>> = {
  rate_limit_exceeded: 429,
  rate_limited: 429,
  budget_exceeded: 429,
  context_length_exceeded: 400,
  invalid_request: 400,
  upstream_timeout: 504,
  unavailable: 503,
  storage_unavailable: 503,
  no_route_available: 503,
  over_capacity: 503,
};

function statusOfChunk(error: unknown): number {
  const code = isJsonObject(error) ? error.code : undefined;
  return (typeof code === "string" ? STATUS_OF_CODE[code] : undefined) ?? 502;
}

/** A Responses stream's `error` event as the socket's: the status and OpenAI's type its code stands for. */
function streamError(event: JsonObject): SocketError {
  const status = statusOfChunk(event);
  const code = typeof event.code === "string" ? event.code : undefined;
  return {
    status,
    type: (code && openAIErrorType(code)) ?? (status >= 500 ? "server_error" : "invalid_request_error"),
    code: code ?? null,
    message: typeof event.message === "string" ? event.message : `request failed with status ${status}`,
    param: typeof event.param === "string" ? event.param : null,
  };
}

/** The `error` event a turn whose stream ended before its last event gets in place of one. */
export const cutShort = (): SocketError =>
  replyError(502, "the turn's stream ended before its last event (response.completed or an error)");

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
