import {
  type Context,
  isSpanContextValid,
  ROOT_CONTEXT,
  type Span,
  type SpanContext,
  TraceFlags,
  trace,
} from "@opentelemetry/api";
import { passedOnTraceparent, readTraceparent } from "../../core/traceparent.ts";

/** A client's `traceparent`, when it is well-formed (anything else is ignored, as the spec says). */
export function parseTraceparent(header: string | null | undefined): SpanContext | undefined {
  const read = readTraceparent(header);
  if (!read) return undefined;
  return {
    traceId: read.traceId,
    spanId: read.spanId,
    traceFlags: read.traceFlags & TraceFlags.SAMPLED,
    isRemote: true,
  };
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
