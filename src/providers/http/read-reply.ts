import { isJsonObject } from "../../core/dialect.ts";
import { GatewayError, upstreamError } from "../../core/gateway-error.ts";
import { DEFAULT_MAX_SSE_LINE, SseDecoder, type SseEvent } from "../../core/sse.ts";
import type { ProviderCall, ProviderReply } from "../provider.ts";
import {
  DEFAULT_MAX_UPSTREAM_BODY,
  MAX_ERROR_BODY,
  readBounded,
  readErrorText,
  tooLarge,
} from "./read-bounded.ts";
import type { ByteFeed, StreamedAnswer } from "./streamed-answer.ts";
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
    throw notJson(provider, error, call);
  }
  return jsonReply(provider, bytes, call);
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
  return jsonReply(provider, wholeBody(provider, answer, call.maxBody), call);
}

/**
 * A whole answer's body once its status and size are checked: an error status throws the
 * upstream's failure (its text and Retry-After, as from a `Response`), a body over the bound a 502.
 */
export function wholeBody(
  provider: string,
  answer: WholeAnswer,
  maxBody = DEFAULT_MAX_UPSTREAM_BODY,
): Uint8Array<ArrayBuffer> {
  const { status, body } = answer;
  if (status < 200 || status > 299) {
    const text = TEXT.decode(body.subarray(0, MAX_ERROR_BODY));
    const headers = new Headers(answer.retryAfter ? { "retry-after": answer.retryAfter } : undefined);
    throw upstreamFailure(provider, { status, headers, text });
  }
  if (answer.over || body.byteLength > maxBody) throw tooLarge(provider, maxBody);
  return body;
}

const TEXT = new TextDecoder();

/**
 * A body that could not be read or parsed: our error, the abort's reason, or "not JSON". The
 * call's signal is read only here, on failure (an attempt makes one only when it is read).
 */
function notJson(provider: string, error: unknown, call: Pick<ProviderCall, "signal">): unknown {
  if (error instanceof GatewayError) return error;
  const signal = call.signal;
  if (signal.aborted) return signal.reason;
  return upstreamError(`upstream ${provider} sent a body that is not JSON`);
}

/** A 2xx body as a JSON reply, unless it is not a JSON object or is an error in disguise. */
function jsonReply(
  provider: string,
  bytes: Uint8Array,
  call: Pick<ProviderCall, "signal">,
): Exclude<ProviderReply, { kind: "http" }> {
  let body: unknown;
  try {
    body = JSON.parse(TEXT.decode(bytes));
  } catch (error) {
    throw notJson(provider, error, call);
  }
  if (!isJsonObject(body)) throw upstreamError(`upstream ${provider} sent a body that is not a JSON object`);
  const failed = errorInAnswer(provider, body);
  if (failed) throw failed;
  return { kind: "json", body };
}

/** Cuts a body's reads into events (SSE lines, Bedrock's binary frames); throws a GatewayError on bytes it cannot read. */
export interface EventDecoder {
  push(chunk: Uint8Array): SseEvent[];
  /** The body ended: a last event not yet closed, or the reason the body is not whole thrown. */
  end(): SseEvent[];
}

/**
 * An upstream's event stream, still its body: iterated, its events decoded as they arrive
 * (`upstreamEvents`); or read by the router itself a read at a time, each read's events
 * translated together into one chunk for the client (routing/translated-relay.ts). Its events
 * are SSE; a body of another framing says so with its own `decoder` (Bedrock's ConverseEvents).
 */
export class UpstreamEvents implements AsyncIterable<SseEvent> {
  constructor(
    /** Names the upstream in error messages. */
    readonly provider: string,
    /** The body's reads: a `ReadableStream`'s reader, or the lean client's feed. */
    readonly body: ByteFeed,
    /** The call's signal, read only once the events are iterated (an attempt makes one only then). */
    private readonly call: Pick<ProviderCall, "signal">,
    readonly maxSseLine: number,
  ) {}

  [Symbol.asyncIterator](): AsyncIterator<SseEvent> {
    return upstreamEvents(this.provider, this.body, this.call.signal, this.decoder());
  }

  /** A decoder for this body's events, one a reading of it. */
  decoder(): EventDecoder {
    return new SseDecoder(this.maxSseLine);
  }
}

/**
 * Decodes an upstream event stream. A connection that breaks mid-body (reset, truncated
 * chunking) surfaces as a fetch-level error; it becomes a retryable 502 in our vocabulary,
 * or the abort reason when we are the ones who ended it. A reader that stops early (a `return`)
 * closes the body. A decoder, not a translation loop: the events stay in the upstream's dialect
 * (translate/stream/stream-translation.ts translates).
 */
export async function* upstreamEvents(
  provider: string,
  body: ByteFeed,
  signal: AbortSignal,
  decoder: EventDecoder,
): AsyncGenerator<SseEvent> {
  // One generator for decoding and error mapping: every layer of async generator costs a
  // promise per event on the streaming hot path.
  let ended = false;
  try {
    for (let read = await body.readMany(); !read.done; read = await body.readMany()) {
      for (const chunk of read.value) for (const event of decoder.push(chunk)) yield event;
    }
    ended = true;
    for (const event of decoder.end()) yield event;
  } catch (error) {
    ended = true;
    body.cancel().catch(() => {});
    if (error instanceof GatewayError) throw error;
    if (signal.aborted) throw signal.reason;
    throw upstreamError(`upstream ${provider} closed the connection mid-stream`);
  } finally {
    if (!ended) body.cancel().catch(() => {});
  }
}
