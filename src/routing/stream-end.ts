import { readAnthropicError } from "../core/anthropic-errors.ts";
import { A_FAILED_RESPONSE, FINAL_RESPONSE_EVENTS, RESPONSE_FAILED } from "../core/final-response-events.ts";
import { type GatewayError, upstreamError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import { StreamEndedEarly } from "../core/stream-ended-early.ts";
import { upstreamName } from "../providers/upstream-name.ts";
import { inBandError } from "../translate/stream/in-band-error.ts";

// When a relayed stream is whole (docs/CLIENTS.md "When a stream is whole"), stated once for the
// byte relay (relay-scan.ts, which reads these off an event's bytes) and the relay of decoded
// events (event-chunks.ts): the end marker went by; or the answer's finish did, and the missing
// marker is added; or neither, and the stream was cut off.

/**
 * What a stream that reported its own failure (an error event, OpenAI's error chunk, a Responses
 * `response.failed`, the stream's end and its failure: `event`, the reporting event's name) failed
 * with: the words of the request's record and of its attempt's, the same from every relay — the
 * byte relay's scan, the relay of decoded events, a translation's, a shadow copy's.
 */
export const reportedFailure = (event: string | undefined): GatewayError =>
  upstreamError(
    event === RESPONSE_FAILED
      ? `the stream ended with ${A_FAILED_RESPONSE}`
      : "the stream ended with an error event",
  );

/**
 * The upstream's own error event, read in its dialect (Anthropic's names its type, OpenAI's is an
 * `{"error":…}` chunk, the Responses API's has its code and message at the top) as the
 * translating relay reads it (translate/stream/in-band-error.ts): what an error event that came
 * before the answer's first event fails its attempt with, in every relay (byte-relay.ts,
 * attempt-answer.ts), so that the router retries or fails over as that error says.
 */
export function upstreamErrorIn(event: SseEvent, fallback: GatewayError): GatewayError {
  let body: unknown;
  try {
    body = JSON.parse(event.data);
  } catch {
    return fallback;
  }
  return inBandError(readAnthropicError(body) ? "anthropic" : "openai", body);
}

/**
 * What a stream that ended before its end marker and its answer's finish fails with, whichever
 * relay read it (or a shadow copy's reader): `provider`, the upstream's name (`fa`, `worker:w1`)
 * or its route's label, as `upstreamName` takes it.
 */
export const cutOff = (provider: string): GatewayError =>
  new StreamEndedEarly("markerMissing", upstreamName(provider));

/**
 * What a stream with a malformed event (its data no JSON object nor `[DONE]`, as
 * relay-event-checks.ts `malformed` spots it) fails with, in the byte relay and in a shadow copy's
 * reader alike; a line past the bound fails with the scan's `overlongLine` instead. `provider` as
 * `cutOff` takes it.
 */
export const malformedEvent = (provider: string): GatewayError =>
  upstreamError(`${upstreamName(provider)} sent a malformed stream event`);

/**
 * Whether a decoded event's data is malformed as relay-event-checks.ts `malformed` reads one in
 * bytes: neither empty, the end marker, nor opening with `{` and closing with `}` (spaces aside).
 * For a provider's own events relayed in their dialect (an embedder's), which fail so as the byte
 * relay's do; nothing is allocated for a well-formed event.
 */
export function malformedData(data: string): boolean {
  let start = 0;
  let end = data.length;
  while (start < end && isSpace(data.charCodeAt(start))) start++;
  while (end > start && isSpace(data.charCodeAt(end - 1))) end--;
  if (start === end || (data.charCodeAt(start) === OPEN_BRACE && data.charCodeAt(end - 1) === CLOSE_BRACE))
    return false;
  return data.slice(start, end) !== DONE_DATA;
}

const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const isSpace = (code: number) => code === 32 || code === 9 || code === 10 || code === 13;

/** How each dialect ends a complete stream: OpenAI's `data: [DONE]`, the last event's name otherwise. */
export const DONE_DATA = "[DONE]";
export const END_EVENTS: readonly string[] = ["message_stop", ...FINAL_RESPONSE_EVENTS];

/** Anthropic's `message_delta`: the answer's stop reason, the last event before `message_stop`. */
export const MESSAGE_DELTA = "message_delta";

/** The end marker a stream is given when its upstream sent the answer's finish but not the marker. */
export const CLOSING = {
  openai: `data: ${DONE_DATA}\n\n`,
  anthropic: 'event: message_stop\ndata: {"type":"message_stop"}\n\n',
} as const;

/** `"finish_reason": "…"` with a string (OpenAI sends `null` on every chunk before the last). */
const FINISH = /"finish_reason"\s*:\s*"/;

/** Whether a decoded event is its stream's own end marker. */
export const endsStreamEvent = (event: SseEvent): boolean =>
  event.data === DONE_DATA || (event.event !== undefined && END_EVENTS.includes(event.event));

/** The marker a decoded event's stream still needs, if the event carries the answer's finish. */
export function closingAfter(event: SseEvent): string | undefined {
  if (event.event === MESSAGE_DELTA) return CLOSING.anthropic;
  if (event.event === undefined && FINISH.test(event.data)) return CLOSING.openai;
  return undefined;
}
