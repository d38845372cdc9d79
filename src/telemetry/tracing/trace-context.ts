import {
  type Context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  TraceFlags,
  trace,
} from "@opentelemetry/api";

/** W3C Trace Context, version 00: `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. */
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;
const ZERO_TRACE = "0".repeat(32);
const ZERO_SPAN = "0".repeat(16);

/** A client's `traceparent`, when it is well-formed (anything else is ignored, as the spec says). */
export function parseTraceparent(header: string | null | undefined): SpanContext | undefined {
  const match = header ? TRACEPARENT.exec(header.trim()) : null;
  if (!match) return undefined;
  const [, traceId = "", spanId = "", flags = "00"] = match;
  if (traceId === ZERO_TRACE || spanId === ZERO_SPAN) return undefined;
  return { traceId, spanId, traceFlags: Number.parseInt(flags, 16) & TraceFlags.SAMPLED, isRemote: true };
}

/** The context a span continues: the caller's trace when it sent one, else a new trace. */
export function parentContext(traceparent: string | null | undefined): Context {
  const remote = parseTraceparent(traceparent);
  return remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
}

/** The `traceparent` naming `span` as the parent of the next hop. */
export function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & TraceFlags.SAMPLED) === 0 ? "00" : "01"}`;
}

/**
 * The `traceparent` for the next hop: this span's context, recorded or not (the SDK hands a span
 * its sampler drops a context of its own, unsampled, and propagates it), or, with no span (tracing
 * off), the caller's own passed on.
 */
export function nextTraceparent(span: Span | undefined, inbound: string | null | undefined) {
  return span && isSpanContextValid(span.spanContext()) ? traceparentOf(span) : passedOnTraceparent(inbound);
}

/** Headers for the next hop (`nextTraceparent`), when there is a `traceparent` to send. */
export function traceHeaders(span: Span | undefined, inbound: string | null | undefined) {
  const traceparent = nextTraceparent(span, inbound);
  return traceparent ? { traceparent } : undefined;
}

/** The caller's own `traceparent` for the next hop, when it sent a well-formed one. */
export const passedOn = (inbound: string | null | undefined) => {
  const traceparent = passedOnTraceparent(inbound);
  return traceparent ? { traceparent } : undefined;
};

/** The caller's own `traceparent` as an attempt sends it on: when well-formed, unchanged. */
export const passedOnTraceparent = (inbound: string | null | undefined): string | undefined =>
  inbound && parseTraceparent(inbound) ? inbound : undefined;
