import { isJsonObject, type JsonObject } from "../../core/dialect.ts";
import { responseFailedEvent } from "../../core/error-wire.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import { openAIErrorBody, openAIWireError } from "../../core/openai-errors.ts";
import { overloadStatus } from "../../core/overload.ts";
import { waitSaid } from "../../core/retry-after-words.ts";
import { inBandError } from "../../translate/stream/in-band-error.ts";
import { failedResponse, type OpenedResponse } from "../failed-response.ts";
import type { SocketError, SocketTurn } from "./socket-turn.ts";

/** A server event of a turn, as sent on the socket, and what the session must know of it. */
export interface TurnEvent {
  /** The event's JSON text: the stream's own bytes unless the turn's lane or chain is echoed in it. */
  readonly text: string;
  readonly type: string;
  /** The `response` it carries (`response.created`, `.completed`, …), if any. */
  readonly response: JsonObject | undefined;
  /** Its place in the turn's stream (`sequence_number`), when it says one. */
  readonly sequence: number | undefined;
}

/**
 * What one SSE event's data of the turn's stream is to the socket: a Responses event, sent on;
 * nothing (`[DONE]`); the stream's own `error` event, said as the socket's, its `response.failed`
 * to follow (as OpenAI fails a response that began: the `error` event, then `response.failed`
 * numbered next, over SSE and its WebSocket mode alike); or a failure the stream said in no
 * Responses event, which the socket ends the turn on itself, with both (socket-session.ts): an
 * error chunk of another shape (a chat-style `{"error": …}`), or data that is no Responses event
 * at all. Never silence: a client waits for its turn's last event.
 */
export type TurnData =
  | { readonly kind: "event"; readonly event: TurnEvent }
  | { readonly kind: "nothing" }
  | { readonly kind: "error"; readonly error: SocketError }
  | { readonly kind: "failure"; readonly error: SocketError };

const NOTHING: TurnData = { kind: "nothing" };

/**
 * One event of the turn's Responses stream (an SSE event's data), as its socket message: the
 * turn's `stream_id` added, and the `previous_response_id` the turn was continued from put back
 * into its `response` (an upstream serving the Responses API was sent the conversation whole,
 * without it). See `TurnData` for what is not an event; `written` is the failure the gateway
 * wrote into the stream, if it did (`failureOf`).
 */
export function turnData(data: string, turn: SocketTurn, written?: GatewayError): TurnData {
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
    return { kind: "failure", error: replyError(statusOf(failureOf(event, written)), data) };
  }
  // The Responses stream's own error event (`{"type":"error","code","message",…}`: a route that
  // failed once the stream was committed), said as the socket's; the turn ends at what follows.
  if (event.type === "error" && event.error === undefined)
    return { kind: "error", error: streamError(event, failureOf(event, written)) };
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
  const sequence = typeof event.sequence_number === "number" ? event.sequence_number : undefined;
  return { kind: "event", event: { text, type: event.type, response, sequence } };
}

const unreadable = (): TurnData => ({
  kind: "failure",
  error: replyError(502, "the turn's stream sent an event that is not a Responses event"),
});

/**
 * The failure an error said inside a committed stream stands for (the answer's own status went
 * out as 200 before it came), judged once, by where it came from. One the gateway wrote itself is
 * the failure it told of before writing it (`written`: a timeout, its limits, no route left, an
 * upstream's error it judged on the way), with that failure's status, as its audit row says. Any
 * other is an upstream's error event relayed as it came (a native route's), judged as the HTTP
 * path judges an error said inside an answer (translate/stream/in-band-error.ts): its refusal of
 * the request (`invalid_prompt`, a prompt too long: 400) or its rate limit (429) as it said; its
 * own failure, or its refusal of the gateway's credentials, account or model (`unauthorized`,
 * `model_not_found`: the route's), the gateway's 502. Never by the code's name alone: some codes
 * are the gateway's and OpenAI's both.
 */
const failureOf = (event: JsonObject, written: GatewayError | undefined): GatewayError =>
  written ?? inBandError("openai", event);

/**
 * The status a failure is said with on the socket: its own, but an upstream's overload OpenAI's
 * 503, the status Codex reads `server_is_overloaded` at (core/overload.ts), as over HTTP.
 */
const statusOf = (failure: GatewayError): number => overloadStatus(failure, "openai") ?? failure.status;

/**
 * A Responses stream's `error` event as the socket's: the status and OpenAI's type of the failure
 * it stands for (`failureOf`), in the stream's own words (its code, message and param), and its
 * place in the stream (`sequence_number`).
 */
function streamError(event: JsonObject, failure: GatewayError): SocketError {
  const code = typeof event.code === "string" ? event.code : undefined;
  const message = typeof event.message === "string" ? event.message : undefined;
  const status = statusOf(failure);
  return {
    status,
    type: openAIWireError(failure).type,
    code: code ?? null,
    message: message ?? `request failed with status ${status}`,
    param: typeof event.param === "string" ? event.param : null,
    ...(typeof event.sequence_number === "number" ? { sequenceNumber: event.sequence_number } : {}),
  };
}

/**
 * The `response.failed` that ends a turn the socket fails itself (its stream said something that
 * is no Responses event, or ended, or broke off, before its last event), numbered `sequence`, after
 * the `error` event that said why (`said`): it fails the response the turn's stream opened with
 * (`opened`: its id and its lane's chain echoed), or one of the gateway's own when none opened, as
 * the `response.failed` the gateway writes into an SSE stream does (http/failed-response.ts).
 */
export function failedEvent(
  said: SocketError,
  sequence: number,
  opened: OpenedResponse | undefined,
  streamId: string | undefined,
): string {
  const event = responseFailedEvent(
    { code: said.code ?? said.type, message: said.message },
    sequence,
    failedResponse(opened),
  );
  if (streamId !== undefined) event.stream_id = streamId;
  return JSON.stringify(event);
}

/** The `error` event a turn whose stream ended before its last event gets in place of one. */
export const cutShort = (): SocketError =>
  replyError(
    502,
    "the turn's stream ended before its last event (response.completed, .incomplete or .failed)",
  );

/**
 * The socket's `error` event: the HTTP status the error stands for and OpenAI's error fields in its
 * `error` object, as OpenAI's WebSocket mode says an error (`ResponseWsError`: Python's SDK raises
 * on it, Codex reads its `status`). A failure the turn's stream said itself, numbered in it, keeps
 * that stream event's fields at the top too (`sequence_number`, `code`, `message`, `param`), as
 * openai-node types an error while streaming (`ResponseWsStreamingError`); so does one the socket
 * says of a turn whose stream began, numbered next in it (socket-session.ts).
 */
export function errorEvent(error: SocketError, streamId: string | undefined): string {
  const { status, sequenceNumber, headers, ...fields } = error;
  const streamed =
    sequenceNumber === undefined
      ? {}
      : { sequence_number: sequenceNumber, code: fields.code, message: fields.message, param: fields.param };
  return JSON.stringify({
    type: "error",
    status,
    ...streamed,
    error: fields,
    ...(headers === undefined ? {} : { headers }),
    ...(streamId === undefined ? {} : { stream_id: streamId }),
  });
}

/**
 * A turn refused before it streamed: the front door's error reply (OpenAI's body) as a socket
 * error. What its headers said of when to come back goes with it (`SocketError.headers`), and a
 * message that points at `Retry-After`, which no WebSocket message has, says the wait instead.
 */
export function replyError(status: number, text: string, headers?: Headers): SocketError {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const parsed = openAIErrorBody.safeParse(body);
  const error = parsed.success ? parsed.data.error : undefined;
  const message = error?.message ?? ((error ? "" : text) || `request failed with status ${status}`);
  const retry = headers && retryHeaders(headers);
  const retryAfter = retry?.["retry-after"];
  return {
    status,
    type: error?.type ?? (status >= 500 ? "server_error" : "invalid_request_error"),
    code: error?.code === undefined || error.code === null ? null : String(error.code),
    message: retryAfter === undefined ? message : waitSaid(message, retryAfter),
    param: error?.param ?? null,
    ...(retry ? { headers: retry } : {}),
  };
}

/** The headers of a reply that say when to come back; undefined when it has none. */
function retryHeaders(headers: Headers): Record<string, string> | undefined {
  const found: Record<string, string> = {};
  let any = false;
  headers.forEach((value, name) => {
    if (!RETRY_HEADERS.has(name) && !name.startsWith("x-ratelimit-")) return;
    found[name] = value;
    any = true;
  });
  return any ? found : undefined;
}

const RETRY_HEADERS = new Set(["retry-after", "retry-after-ms", "x-should-retry"]);
