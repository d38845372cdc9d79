import { isJsonObject } from "../core/dialect.ts";
import { toGatewayError, upstreamError } from "../core/gateway-error.ts";
import type { SseEvent } from "../core/sse.ts";
import type { Usage } from "../core/usage.ts";
import { DEFAULT_MAX_UPSTREAM_BODY, readBounded, readErrorText } from "../providers/http/read-bounded.ts";
import { errorInAnswer, upstreamFailure } from "../providers/http/upstream-failure.ts";
import { abortable } from "../routing/abortable.ts";
import { type AdaptedCall, adaptDialect } from "../routing/adapt-dialect.ts";
import type { Route } from "../routing/route.ts";
import type { DispatchRequest } from "../routing/router.ts";
import { stripClientRouting } from "../routing/strip-client-routing.ts";
import { nativeRequest } from "../routing/try-route.ts";
import { StreamUsageMeter } from "../translate/stream-usage-meter.ts";
import { usageFromAnthropic, usageFromOpenAI } from "../translate/usage-mapping.ts";
import { type Answer, AnswerStream, answerFromJson, SseAnswerReader } from "./answer.ts";

/** What the shadow route did with its copy. */
export interface ShadowOutcome {
  /** 200, or the failure's status (504 when its own timeout cut it off). */
  status: number;
  errorClass: string | null;
  latencyMs: number;
  ttftMs: number | null;
  usage: Usage;
  /** Null when the call failed. */
  answer: Answer | null;
}

/** Bun's reader: `readMany` resolves with every chunk already buffered, in one step. */
type ManyReader = ReadableStreamDefaultReader<Uint8Array> & {
  readMany(): Promise<{ done: boolean; value: Uint8Array[] }>;
};

const NO_USAGE: Usage = { inputTokens: 0, outputTokens: 0 };
const decoder = new TextDecoder();

/**
 * Sends the copy to the shadow route in the request's own mode (a stream is consumed as a
 * stream) and reads the answer into the caller's dialect. Never throws: a failure is an
 * outcome. `signal` carries the shadow's own timeout, never the client's.
 *
 * When the shadow's upstream speaks the caller's dialect (the common case), the copy is the
 * client's own bytes with the model spliced in, as the primary sends them, and the answer is
 * read as bytes and parsed once at its end: no re-serialised request, no event objects, no
 * per-event promise. Other routes go through the provider's translated reply.
 */
export async function callShadow(
  route: Route,
  request: DispatchRequest,
  signal: AbortSignal,
): Promise<ShadowOutcome> {
  const started = performance.now();
  const clock = { started, ttftMs: null as number | null };
  try {
    const adapted = adaptDialect(
      request.operation,
      request.body,
      route.provider,
      request.model,
      request.responses,
    );
    const body = stripClientRouting({ ...adapted.body, model: route.upstreamModel });
    const native =
      adapted.native && request.received && route.provider.passThrough
        ? nativeRequest(request.received, body, adapted)
        : undefined;
    const reply = await abortable(
      route.provider.call({
        operation: adapted.operation,
        body,
        stream: request.stream,
        requestId: `${request.requestId}-shadow`,
        signal,
        timeouts: route.timeouts,
        ...(native ? { native } : {}),
      }),
      signal,
    );
    if (reply.kind === "http") return await readNative(reply.response, route, request, signal, clock);
    if (reply.kind === "json") {
      const usageOf = route.provider.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;
      const usage = reply.usage ?? usageOf(reply.body) ?? NO_USAGE;
      const answer = answerFromJson(request.operation, adapted.json(reply.body));
      return {
        status: 200,
        errorClass: null,
        latencyMs: performance.now() - started,
        ttftMs: null,
        usage,
        answer,
      };
    }
    return await readEvents(reply.events, route, request, adapted, signal, clock);
  } catch (error) {
    const failure = toGatewayError(signal.aborted ? signal.reason : error);
    return {
      status: failure.status,
      errorClass: failure.code,
      latencyMs: performance.now() - started,
      ttftMs: clock.ttftMs,
      usage: NO_USAGE,
      answer: null,
    };
  }
}

/**
 * A same-dialect answer as bytes: an error status is read as the primary would read it; a
 * whole body is parsed once; a stream's chunks are decoded as they come and its events parsed
 * in large slices (see SseAnswerReader). Aborting `signal` ends the fetch and so any read.
 */
async function readNative(
  response: Response,
  route: Route,
  request: DispatchRequest,
  signal: AbortSignal,
  clock: { started: number; ttftMs: number | null },
): Promise<ShadowOutcome> {
  const label = route.label;
  if (!response.ok) {
    const text = await readErrorText(response, label);
    throw upstreamFailure(label, { status: response.status, headers: response.headers, text });
  }
  const isStream =
    request.stream &&
    response.body !== null &&
    response.headers.get("content-type")?.includes("text/event-stream");
  if (!isStream) {
    // A declared length within the bound is read in one native call (no stream of chunks).
    const declared = Number(response.headers.get("content-length") ?? Number.NaN);
    const text =
      declared <= DEFAULT_MAX_UPSTREAM_BODY
        ? await response.text()
        : decoder.decode(await readBounded(response, DEFAULT_MAX_UPSTREAM_BODY, label, "refuse"));
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw upstreamError(`upstream ${label} sent a body that is not JSON`);
    }
    if (!isJsonObject(parsed)) throw upstreamError(`upstream ${label} sent a body that is not a JSON object`);
    const failed = errorInAnswer(label, parsed);
    if (failed) throw failed;
    const usageOf = route.provider.dialect === "anthropic" ? usageFromAnthropic : usageFromOpenAI;
    return {
      status: 200,
      errorClass: null,
      latencyMs: performance.now() - clock.started,
      ttftMs: null,
      usage: usageOf(parsed) ?? NO_USAGE,
      answer: answerFromJson(request.operation, parsed),
    };
  }
  // Chunks are taken as many at a time as have arrived (Bun's `readMany`), not one promise per
  // chunk; the text is parsed in large slices (SseAnswerReader), so what is held stays near the
  // answer's own size however long the stream runs.
  const reader = (response.body as ReadableStream<Uint8Array>).getReader() as ManyReader;
  const answer = new SseAnswerReader(request.operation, route.provider.dialect);
  const text = new TextDecoder();
  try {
    for (let next = await reader.readMany(); !next.done; next = await reader.readMany()) {
      if (next.value.length === 0) continue;
      clock.ttftMs ??= performance.now() - clock.started;
      for (const chunk of next.value) answer.push(text.decode(chunk, { stream: true }));
    }
  } finally {
    if (signal.aborted) void reader.cancel().catch(() => {});
  }
  const read = answer.finish();
  return {
    status: 200,
    errorClass: null,
    latencyMs: performance.now() - clock.started,
    ttftMs: clock.ttftMs,
    usage: read.usage ?? NO_USAGE,
    answer: read.answer,
  };
}

/** A translated stream, event by event: each read races the shadow's own timeout. */
async function readEvents(
  events: AsyncIterable<SseEvent>,
  route: Route,
  request: DispatchRequest,
  adapted: AdaptedCall,
  signal: AbortSignal,
  clock: { started: number; ttftMs: number | null },
): Promise<ShadowOutcome> {
  const meter = new StreamUsageMeter(route.provider.dialect);
  const translated = adapted.stream?.(events, (found) => meter.record(found));
  const reader = new AnswerStream(request.operation);
  const iterator = (translated ? translated.events : events)[Symbol.asyncIterator]();
  try {
    // An upstream that stalls mid-stream is cut off by the race, whatever the provider does.
    for (
      let next = await abortable(iterator.next(), signal);
      !next.done;
      next = await abortable(iterator.next(), signal)
    ) {
      clock.ttftMs ??= performance.now() - clock.started;
      if (!translated) meter.observe(next.value);
      reader.event(next.value.data);
    }
  } finally {
    if (signal.aborted) void iterator.return?.();
  }
  return {
    status: 200,
    errorClass: null,
    latencyMs: performance.now() - clock.started,
    ttftMs: clock.ttftMs,
    usage: meter.usage ?? NO_USAGE,
    answer: reader.answer(),
  };
}
