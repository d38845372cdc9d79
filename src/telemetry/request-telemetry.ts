import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import type { AuditRecord } from "../audit/audit-record.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { RequestLedger } from "../http/request-ledger.ts";
import type { AttemptInfo, AttemptTelemetry, DispatchTelemetry } from "./dispatch-telemetry.ts";
import type { GatewayMetrics } from "./metrics/gateway-metrics.ts";
import { finishedAttributes, operationOf, spanName } from "./tracing/span-attributes.ts";
import { parentContext, traceHeaders } from "./tracing/trace-context.ts";

/** How a request is observed: metrics and a tracer, either of which may be off. */
export interface RequestTelemetryDeps {
  readonly metrics: GatewayMetrics | undefined;
  readonly tracer: Tracer | undefined;
  /** `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`: put prompts and answers on spans. */
  readonly captureContent: boolean;
}

/**
 * The server span of a request: backdated to its arrival, child of the caller's trace.
 * Attributes are set on the started span rather than passed to `startSpan`: the SDK cleans an
 * `attributes` option twice (Object.entries each time), the costliest part of starting a span,
 * and a span the sampler dropped takes none at all.
 */
function serverSpan(tracer: Tracer, ledger: RequestLedger): Span {
  const span = tracer.startSpan(
    spanName(ledger.frontDoor, ledger.model),
    { kind: SpanKind.SERVER, startTime: ledger.startedAt },
    parentContext(ledger.traceparent),
  );
  if (span.isRecording())
    span.setAttributes({
      "mindgw.request_id": ledger.requestId,
      "mindgw.front_door": ledger.frontDoor,
      "mindgw.stream": ledger.stream,
      "gen_ai.operation.name": operationOf(ledger.frontDoor),
      "gen_ai.request.model": ledger.model ?? undefined,
    });
  return span;
}

/**
 * One request's telemetry from the moment its model is known: the server span, and per upstream
 * attempt a client span (retries and failover visible) plus the attempt metrics. The router sees
 * it as DispatchTelemetry; the observer ends it with the request's record.
 */
export class RequestTelemetry implements DispatchTelemetry {
  private readonly span: Span | undefined;
  private dialect: string | undefined;

  constructor(
    private readonly ledger: RequestLedger,
    private readonly deps: RequestTelemetryDeps,
  ) {
    this.span = deps.tracer ? serverSpan(deps.tracer, ledger) : undefined;
  }

  attempt(info: AttemptInfo): AttemptTelemetry {
    const { metrics, tracer } = this.deps;
    if (info.retry > 0) metrics?.retried(info.route);
    if (info.failover) metrics?.failedOver(this.ledger.model ?? "");
    this.dialect = info.dialect;
    const span = tracer && this.span ? this.attemptSpan(tracer, this.span, info) : undefined;
    const started = performance.now();
    let route = info.route;
    return {
      headers: traceHeaders(span, this.ledger.traceparent),
      settled(error, servedBy) {
        if (servedBy) route = servedBy;
        metrics?.attempted(route, (performance.now() - started) / 1000, error);
        if (!span) return;
        span.setAttribute("mindgw.route", route);
        if (error) fail(span, error);
      },
      closed(error) {
        if (!span) return;
        if (error) fail(span, error);
        span.end();
      },
    };
  }

  /** A client span per upstream attempt, child of the server span. */
  private attemptSpan(tracer: Tracer, parent: Span, info: AttemptInfo): Span {
    const operation = operationOf(this.ledger.frontDoor) ?? this.ledger.frontDoor;
    const span = tracer.startSpan(
      `${operation} ${info.upstreamModel}`,
      { kind: SpanKind.CLIENT },
      trace.setSpan(ROOT_CONTEXT, parent),
    );
    if (span.isRecording())
      span.setAttributes({
        "gen_ai.operation.name": operation,
        "gen_ai.provider.name": info.dialect,
        "gen_ai.request.model": info.upstreamModel,
        "mindgw.route": info.route,
        "mindgw.attempt.retry": info.retry,
        "mindgw.attempt.failover": info.failover,
      });
    return span;
  }

  /** Ends the server span with what the request did. */
  finish(record: AuditRecord): void {
    if (!this.span) return;
    endServerSpan(this.span, record, this.dialect, this.deps.captureContent);
  }
}

function fail(span: Span, error: GatewayError): void {
  span.setAttribute("error.type", error.code);
  span.setStatus({ code: SpanStatusCode.ERROR, message: error.message });
}

function endServerSpan(
  span: Span,
  record: AuditRecord,
  dialect: string | undefined,
  captureContent: boolean,
) {
  if (span.isRecording()) {
    // One call; undefined values are skipped (the SDK ignores them).
    span.setAttributes(finishedAttributes(record, captureContent));
    if (dialect) span.setAttribute("gen_ai.provider.name", dialect);
  }
  // A server span is in error for 5xx only; a refusal (4xx) is the client's error.
  if (record.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: record.errorClass ?? "" });
  span.end();
}

/** A request that ended before its model was known (refused at the door): one short span. */
export function traceRefused(tracer: Tracer, ledger: RequestLedger, record: AuditRecord): void {
  endServerSpan(serverSpan(tracer, ledger), record, undefined, false);
}
