import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { FINAL_RESPONSE_EVENTS } from "../../core/final-response-events.ts";
import {
  openAIErrorBody,
  openAIErrorType,
  type ReadOpenAIError,
  readOpenAIError,
  statusForOpenAIError,
} from "../../core/openai-errors.ts";
import { upstreamFault } from "../../core/upstream-fault.ts";
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
    return { kind: "failure", error: replyError(statusOf(readOpenAIError(event)), data) };
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
 * The HTTP status an error said inside a committed stream stands for (the answer's own went out as
 * 200 before it came): the one the gateway would have answered it with before the stream began,
 * read by the one mapping of an error said without a status (core/openai-errors.ts
 * `statusForOpenAIError`). The gateway's own codes (a failure it wrote into the stream: a timeout,
 * its limits, no route left) are known by their type; an upstream's code (a native route's error
 * event, relayed) is judged as the HTTP path judges it (core/upstream-fault.ts): its refusal of the
 * request (`invalid_prompt`, a prompt too long: 400) or its rate limit (429) as it said; its own
 * failure, or its refusal of the gateway's credentials or account, the gateway's 502.
 */
function statusOf(said: ReadOpenAIError | undefined): number {
  const own = said?.code === undefined ? undefined : openAIErrorType(said.code);
  const status = statusForOpenAIError(own === undefined ? said : { ...said, type: own });
  if (own !== undefined) return status === 500 ? 502 : status;
  const fault = upstreamFault(status, said);
  return fault === "request" || fault === "throttle" || fault === "tier" ? status : 502;
}

/**
 * A Responses stream's `error` event as the socket's: the status and OpenAI's type its code stands
 * for, and its place in the stream (`sequence_number`).
 */
function streamError(event: JsonObject): SocketError {
  const code = typeof event.code === "string" ? event.code : undefined;
  const message = typeof event.message === "string" ? event.message : undefined;
  const status = statusOf({ ...(code ? { code } : {}), ...(message ? { message } : {}) });
  return {
    status,
    type: (code && openAIErrorType(code)) ?? (status >= 500 ? "server_error" : "invalid_request_error"),
    code: code ?? null,
    message: message ?? `request failed with status ${status}`,
    param: typeof event.param === "string" ? event.param : null,
    ...(typeof event.sequence_number === "number" ? { sequenceNumber: event.sequence_number } : {}),
  };
}

/** The `error` event a turn whose stream ended before its last event gets in place of one. */
export const cutShort = (): SocketError =>
  replyError(502, "the turn's stream ended before its last event (response.completed or an error)");

/**
 * The socket's `error` event: the HTTP status the error stands for and OpenAI's error fields in its
 * `error` object, as OpenAI's WebSocket mode says an error (`ResponseWsError`: Python's SDK raises
 * on it, Codex reads its `status`). A failure the turn's stream said itself, numbered in it, keeps
 * that stream event's fields at the top too (`sequence_number`, `code`, `message`, `param`), as
 * openai-node types an error while streaming (`ResponseWsStreamingError`).
 */
export function errorEvent(error: SocketError, streamId: string | undefined): string {
  const { status, sequenceNumber, ...fields } = error;
  const streamed =
    sequenceNumber === undefined
      ? {}
      : { sequence_number: sequenceNumber, code: fields.code, message: fields.message, param: fields.param };
  return JSON.stringify({
    type: "error",
    status,
    ...streamed,
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
