import {
  type Context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  TraceFlags,
  type TraceState,
  trace,
} from "@opentelemetry/api";
import { hexDigitsWord } from "../../core/fresh-id-word.ts";
import { onDemand } from "../../core/on-demand.ts";
import { DASH, passedOnTraceparent, readTraceparent } from "../../core/traceparent.ts";
import {
  passedOnContext,
  passedOnTracestate,
  readTracestate,
  traceContextHeaders,
} from "../../core/tracestate.ts";
import { hexWord } from "./id-generator.ts";

/**
 * A client's trace context, when its `traceparent` is well-formed (anything else is ignored, as
 * the spec says): the remote parent, with the client's `tracestate` as its trace state when that
 * is well-formed too, read as the OpenTelemetry SDK's W3C propagator reads it.
 */
export function parseTraceparent(
  header: string | null | undefined,
  tracestate?: string | null | undefined,
): SpanContext | undefined {
  const read = readTraceparent(header);
  if (!read) return undefined;
  const context: SpanContext = {
    traceId: read.traceId,
    spanId: read.spanId,
    traceFlags: read.traceFlags & TraceFlags.SAMPLED,
    isRemote: true,
  };
  const state = tracestate ? readTracestate(tracestate) : undefined;
  if (state !== undefined) context.traceState = traceStateOf(state);
  return context;
}

/** Where a well-formed `traceparent`'s trace id and parent id start, after `<2 hex version>-`. */
const TRACE_ID_AT = 3;
const PARENT_ID_AT = 36;

/**
 * `header` begins with the W3C form's version and dash, as `parseTraceparent` read it: nothing was
 * trimmed off its front (white space there puts a digit or more white space third, never a dash),
 * so its ids' digits are at their fixed places.
 */
const untrimmed = (header: string | null): header is string => header?.charCodeAt(2) === DASH;

/**
 * Word `w` (0–3) of the caller's trace id, `remote` being `parseTraceparent(header)`: read where
 * its digits are in the header, so neither the id's substring is made flat nor a word of it cut
 * out and parsed (a caller-traced request's server span reads six words of the caller's ids).
 */
export const callerTraceIdWord = (header: string | null, remote: SpanContext, w: number): number =>
  untrimmed(header) ? hexDigitsWord(header, TRACE_ID_AT + w * 8) : hexWord(remote.traceId, w);

/** Word `w` (0–1) of the caller's span id (its span's parent), read as `callerTraceIdWord` reads. */
export const callerParentIdWord = (header: string | null, remote: SpanContext, w: number): number =>
  untrimmed(header) ? hexDigitsWord(header, PARENT_ID_AT + w * 8) : hexWord(remote.spanId, w);

/**
 * `@opentelemetry/core`'s TraceState, loaded when tracing starts (start-tracing.ts) or an embedder
 * hands the gateway its tracer, never at start on an untraced gateway, which reads no client's
 * trace state; with it the executable would read OpenTelemetry's semantic conventions at start
 * too. A traced gateway has the module loaded by the SDK already.
 */
const coreTraceState = onDemand("OpenTelemetry's TraceState", "loadTraceState", async () => {
  return (await import("@opentelemetry/core")).TraceState;
});

export const loadTraceState = coreTraceState.load;

/**
 * A well-formed `tracestate` as the SDK's W3C propagator reads it (`@opentelemetry/core`'s
 * TraceState: whole members, at most 512 characters); `loadTraceState` first.
 */
const traceStateOf = (tracestate: string): TraceState => new (coreTraceState.get())(tracestate);

/** The context a span continues: the caller's trace when it sent one, else a new trace. */
export function parentContext(
  traceparent: string | null | undefined,
  tracestate?: string | null | undefined,
): Context {
  const remote = parseTraceparent(traceparent, tracestate);
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
}

/** The `traceparent` naming `span` as the parent of the next hop. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & TraceFlags.SAMPLED) === 0 ? "00" : "01"}`;
}

/** A trace state as the `tracestate` header sends it; an empty one is not sent. */
export const tracestateOf = (state: TraceState | undefined): string | undefined =>
  state?.serialize() || undefined;

/**
 * The `traceparent` for the next hop: this span's context, recorded or not (the SDK hands a span
 * its sampler drops a context of its own, unsampled, and propagates it), or, with no span (tracing
 * off), the caller's own passed on.
 */
export function nextTraceparent(span: Span | undefined, inbound: string | null | undefined) {
  return span && isSpanContextValid(span.spanContext()) ? traceparentOf(span) : passedOnTraceparent(inbound);
}

/**
 * The `tracestate` beside `nextTraceparent`'s: the span's trace state (its sampler's, else its
 * parent's, as the SDK gives it), or with no span the caller's own passed on.
 */
export function nextTracestate(
  span: Span | undefined,
  inbound: string | null | undefined,
  inboundState: string | null | undefined,
): string | undefined {
  return span && isSpanContextValid(span.spanContext())
    ? tracestateOf(span.spanContext().traceState)
    : passedOnTracestate(inbound, inboundState);
}

/** Headers for the next hop (`nextTraceparent`, `nextTracestate`), when there is a `traceparent` to send. */
export function traceHeaders(
  span: Span | undefined,
  inbound: string | null | undefined,
  inboundState: string | null | undefined,
) {
  return traceContextHeaders(nextTraceparent(span, inbound), nextTracestate(span, inbound, inboundState));
}

/** The caller's own `traceparent` and `tracestate` for the next hop, when it sent a well-formed `traceparent`. */
export function passedOn(inbound: string | null | undefined, inboundState: string | null | undefined) {
  const { traceparent, tracestate } = passedOnContext(inbound, inboundState);
  return traceContextHeaders(traceparent, tracestate);
}
