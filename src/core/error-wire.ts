import {
  anthropicWireError,
  needsAnthropicWords,
  readAnthropicError,
  saysAnthropicType,
} from "./anthropic-errors.ts";
import { type Dialect, dialectOf, isJsonObject, type JsonObject, type Operation } from "./dialect.ts";
import { RESPONSE_FAILED } from "./final-response-events.ts";
import { bodyForCallers } from "./for-callers.ts";
import type { GatewayError } from "./gateway-error.ts";
import { lacksJudgedCode, openAIWireError, readOpenAIError } from "./openai-errors.ts";
import type { SseEvent } from "./sse.ts";

/**
 * The error object in the caller's dialect: the one place error bodies are shaped, for
 * replies and stream events alike. An upstream's error body reaches a caller of the same
 * dialect as the upstream sent it (`relaysUpstreamBody`), but for what its message says of the
 * gateway's upstream account, its upstreams' places and credentials (for-callers.ts: the very body
 * when it says nothing of them); every
 * other error maps through that dialect's one table (openai-errors.ts, anthropic-errors.ts), which
 * scrubs an upstream's message alike.
 */
export function errorBody(error: GatewayError, dialect: Dialect): Record<string, unknown> {
  const upstream = error.upstream;
  if (upstream?.body && relaysUpstreamBody(error, dialect))
    return bodyForCallers(upstream.body, upstream.text);
  if (dialect === "anthropic") return { type: "error", error: anthropicWireError(error) };
  return { error: openAIWireError(error) };
}

/**
 * Whether a caller of `dialect` gets the upstream's own error body: one of its dialect, in that
 * dialect's own error shape. An OpenAI-compatible server's body in another shape (FastAPI's
 * `{"detail":…}`, TGI's `{"error":"text"}`, vLLM's fields at the top) is read, but OpenAI's SDKs
 * cannot read it (no message, no code): its words are said in OpenAI's shape instead. (A body is
 * kept only when its dialect's reader took it, so an `error` object is OpenAI's own.) Nor does a
 * context-length refusal without OpenAI's code (`lacksJudgedCode`), or, in Anthropic's shape,
 * without Anthropic's words (`needsAnthropicWords`) or with a type Anthropic's API has not
 * (`saysAnthropicType`: an engine's own, MiniMax's `bad_request_error`, vLLM's `BadRequestError`).
 */
export function relaysUpstreamBody(error: GatewayError, dialect: Dialect): boolean {
  const upstream = error.upstream;
  if (!upstream?.body || upstream.dialect !== dialect) return false;
  if (dialect === "anthropic") return !needsAnthropicWords(error) && saysAnthropicType(upstream.body);
  return isJsonObject(upstream.body.error) && !lacksJudgedCode(error);
}

/**
 * The message a caller of `dialect` reads in the error it gets (`errorBody`): an upstream's own
 * words when its body is relayed as sent, else the gateway's. What the audit row keeps as the
 * request's error, so that it says what the client was told; the gateway's own account (which
 * upstream answered what) stays with each attempt. A relayed body without a message falls back
 * to the gateway's words.
 */
export function toldMessage(error: GatewayError, dialect: Dialect): string {
  return toldIn(errorBody(error, dialect), error, dialect);
}

/** `toldMessage` read from the body the caller is answered with, where it is built already. */
export function toldIn(body: Record<string, unknown>, error: GatewayError, dialect: Dialect): string {
  const told = dialect === "anthropic" ? readAnthropicError(body) : readOpenAIError(body);
  return told?.message || error.message;
}

/**
 * How a stream writes its events: chat's and Anthropic's by their dialect; the Responses API's (an
 * OpenAI-dialect caller's) as typed events, each numbered in sequence.
 */
export type StreamWire = Dialect | "responses";

/** The wire of a stream that answers `operation`. */
export const streamWireOf = (operation: Operation): StreamWire =>
  operation === "responses" ? "responses" : dialectOf(operation);

/**
 * How a chat or Anthropic stream that already started reports a failure: OpenAI's bare
 * `data: {"error":…}` chunk, Anthropic's `error` event. A Responses stream ends with
 * `responsesFailure`.
 */
export function errorEvent(error: GatewayError, dialect: Dialect): SseEvent {
  const data = JSON.stringify(errorBody(error, dialect));
  return dialect === "anthropic" ? { event: "error", data } : { data };
}

/**
 * How a Responses stream that already started ends in failure, as OpenAI ends one: the `error`
 * event (OpenAI's `code`, `message` and `param` at its top), numbered `sequence`, then
 * `response.failed` numbered next, its `response` the stream's own (`response`: its id and what
 * else is known of it) failed with the same code and message. Both, so every client reads why:
 * the official SDKs (the Agents SDK's runs through them) throw at the `error` event with its words
 * and read no further; Codex over HTTP reads the terminal `response.failed` alone — a stream
 * without one it sends again as cut off, five times, whatever it failed with — and acts on its
 * code (`context_length_exceeded` ends the turn: Codex ran out of room). The translating
 * writer's (translate/responses/responses-stream-writer.ts) and the one the gateway adds to a
 * relayed stream, or one kept alive before its route answered (http/sse-response.ts), alike.
 */
export function responsesFailure(error: GatewayError, sequence: number, response: JsonObject): SseEvent[] {
  const wire = openAIWireError(error);
  const code = wire.code ?? wire.type;
  const said = { type: "error", sequence_number: sequence, code, message: wire.message, param: wire.param };
  return [{ event: "error", data: JSON.stringify(said) }, responseFailed(error, sequence + 1, response)];
}

/**
 * A Responses stream's terminal `response.failed`, numbered `sequence`, failing `response` with
 * `error`'s code and message: `responsesFailure`'s second event, and the one the gateway adds
 * after an upstream's bare `error` event (http/sse-response.ts).
 */
export function responseFailed(error: GatewayError, sequence: number, response: JsonObject): SseEvent {
  const failed = responseFailedEvent(failureSaid(error), sequence, response);
  return { event: RESPONSE_FAILED, data: JSON.stringify(failed) };
}

/**
 * `response` failed with `error`, as its `response.failed` says it: the response a translated
 * stream that failed stores, read back as OpenAI keeps a failed one (docs/CLIENTS.md).
 */
export function failedResponse(error: GatewayError, response: JsonObject): JsonObject {
  return { ...response, status: "failed", error: failureSaid(error) };
}

/** The code and message a failed response carries for `error`, in OpenAI's words. */
function failureSaid(error: GatewayError): { readonly code: string; readonly message: string } {
  const wire = openAIWireError(error);
  return { code: wire.code ?? wire.type, message: wire.message };
}

/**
 * `response.failed` as an object: numbered `sequence`, failing `response` with the code and
 * message `said` (what the `error` event before it said). An SSE stream's (`responseFailed`) and a
 * Responses WebSocket turn's (http/responses-socket/socket-events.ts) alike.
 */
export function responseFailedEvent(
  said: { readonly code: string; readonly message: string },
  sequence: number,
  response: JsonObject,
): JsonObject {
  const error = { code: said.code, message: said.message };
  return {
    type: RESPONSE_FAILED,
    sequence_number: sequence,
    response: { ...response, status: "failed", error },
  };
}
