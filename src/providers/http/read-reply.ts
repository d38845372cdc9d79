import { type Dialect, isJsonObject } from "../../core/dialect.ts";
import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import { noAnswerFrom } from "../../core/holds-no-answer.ts";
import { DEFAULT_MAX_SSE_LINE } from "../../core/sse.ts";
import type { ProviderCall, ProviderReply } from "../provider.ts";
import { upstreamName } from "../upstream-name.ts";
import {
  DEFAULT_MAX_UPSTREAM_BODY,
  MAX_ERROR_BODY,
  readBounded,
  readErrorText,
  tooLarge,
} from "./read-bounded.ts";
import { isEventStream, streamForWhole } from "./stream-for-whole.ts";
import type { StreamedAnswer } from "./streamed-answer.ts";
import { UpstreamEvents } from "./upstream-events.ts";
import { errorInAnswer, upstreamFailure } from "./upstream-failure.ts";
import type { WholeAnswer } from "./whole-answer.ts";

/**
 * Turns an upstream's HTTP answer into a ProviderReply, in whichever dialect it speaks: error
 * statuses become GatewayErrors with a retry verdict, event streams are decoded as they
 * arrive, JSON is parsed. Shared by every HTTP provider and by worker tunnels, which rebuild a
 * Response from frames.
 */
export async function readUpstreamReply(
  provider: string,
  answer: Response | StreamedAnswer,
  call: Pick<ProviderCall, "stream" | "signal" | "maxBody">,
  maxSseLine = DEFAULT_MAX_SSE_LINE,
): Promise<Exclude<ProviderReply, { kind: "http" }>> {
  // The lean client's successful event stream, handed over as the socket's reads (`postCall`).
  if (!(answer instanceof Response))
    return { kind: "stream", events: new UpstreamEvents(provider, answer.body, call, maxSseLine) };
  const response = answer;
  if (!response.ok) {
    const text = await readErrorText(response, provider);
    throw upstreamFailure(provider, { status: response.status, headers: response.headers, text });
  }
  const type = response.headers.get("content-type") ?? "";
  if (call.stream && type.includes("text/event-stream") && response.body) {
    return {
      kind: "stream",
      events: new UpstreamEvents(provider, response.body.getReader(), call, maxSseLine),
    };
  }
  let bytes: Uint8Array;
  try {
    bytes = await readBounded(response, call.maxBody ?? DEFAULT_MAX_UPSTREAM_BODY, provider, "refuse");
  } catch (error) {
    throw readFailure(error, call, () => closedMidBody(provider));
  }
  const reply = jsonReply(provider, bytes, call, type);
  if (call.stream) throw wholeForStream(provider, type);
  return reply;
}

/**
 * A stream asked for and a whole body answered (an upstream that ignores `stream`): no client
 * asking for a stream can read it, so it is the upstream's failure (a 502, failed over like one),
 * never a 200 the SDK cannot parse. Its error body, if it sent one, was reported first.
 */
export function wholeForStream(provider: string, contentType: string): GatewayError {
  return upstreamError(
    `${upstreamName(provider)} answered a stream request with a whole body (${contentType || "no content type"}), not an event stream`,
  );
}

/**
 * A non-stream answer whole as bytes (a tunnel's: no `Response` was built for it), read as
 * `readUpstreamReply` reads a `Response`: the same errors, bound and JSON checks.
 */
export function readWholeReply(
  provider: string,
  answer: WholeAnswer,
  call: Pick<ProviderCall, "signal" | "maxBody">,
): Exclude<ProviderReply, { kind: "http" }> {
  return jsonReply(provider, wholeBody(provider, answer, call.maxBody), call, answer.contentType ?? "");
}

/**
 * A whole answer's body once its status and size are checked: an error status throws the
 * upstream's failure (its text and Retry-After, as from a `Response`; `dialect` as
 * `upstreamFailure` takes it), a body over the bound a 502.
 */
export function wholeBody(
  provider: string,
  answer: WholeAnswer,
  maxBody = DEFAULT_MAX_UPSTREAM_BODY,
  dialect?: Dialect,
): Uint8Array<ArrayBuffer> {
  const { status, body } = answer;
  if (status < 200 || status > 299) throw wholeFailure(provider, answer, dialect);
  if (answer.over || body.byteLength > maxBody) throw tooLarge(provider, maxBody);
  return body;
}

/** A whole answer's error status as the upstream's failure: its text and Retry-After, as from a `Response`. */
export function wholeFailure(provider: string, answer: WholeAnswer, dialect?: Dialect): GatewayError {
  const text = TEXT.decode(answer.body.subarray(0, MAX_ERROR_BODY));
  const headers = new Headers(answer.retryAfter ? { "retry-after": answer.retryAfter } : undefined);
  if (answer.location !== undefined) headers.set("location", answer.location);
  return upstreamFailure(provider, { status: answer.status, headers, text }, dialect);
}

const TEXT = new TextDecoder();

/**
 * A whole body whose read broke off before its end (the connection closed short of its declared
 * length or last chunk), passed through or translated alike.
 */
export const closedMidBody = (provider: string) =>
  upstreamError(`${upstreamName(provider)} closed the connection mid-body`);

/** A 2xx body that does not parse, passed through or translated alike. */
export const notJson = (provider: string) =>
  upstreamError(`${upstreamName(provider)} sent a body that is not JSON`);

/** A 2xx body that parses to something other than an object (an array, a string, a number). */
export const notJsonObject = (provider: string) =>
  upstreamError(`${upstreamName(provider)} sent a body that is not a JSON object`);

/** A 2xx JSON object with no answer in it (core/holds-no-answer.ts), passed through or translated alike. */
export const noAnswer = (provider: string) => noAnswerFrom(upstreamName(provider));

/**
 * A body that could not be read or parsed: our error, the abort's reason, or `otherwise`. The
 * call's signal is read only here, on failure (an attempt makes one only when it is read).
 */
function readFailure(
  error: unknown,
  call: Pick<ProviderCall, "signal">,
  otherwise: () => GatewayError,
): unknown {
  if (error instanceof GatewayError) return error;
  const signal = call.signal;
  if (signal.aborted) return signal.reason;
  return otherwise();
}

/**
 * A 2xx body as a JSON reply, unless it is not a JSON object (an event stream said as one:
 * stream-for-whole.ts) or is an error in disguise.
 */
function jsonReply(
  provider: string,
  bytes: Uint8Array,
  call: Pick<ProviderCall, "signal">,
  contentType: string,
): Exclude<ProviderReply, { kind: "http" }> {
  let body: unknown;
  try {
    body = JSON.parse(TEXT.decode(bytes));
  } catch (error) {
    throw readFailure(error, call, () =>
      isEventStream(contentType) ? streamForWhole(provider, bytes) : notJson(provider),
    );
  }
  if (!isJsonObject(body)) throw notJsonObject(provider);
  const failed = errorInAnswer(provider, body);
  if (failed) throw failed;
  return { kind: "json", body };
}
