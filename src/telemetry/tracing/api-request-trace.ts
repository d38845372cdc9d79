import { ROOT_CONTEXT, type Span, SpanKind, SpanStatusCode, type Tracer, trace } from "@opentelemetry/api";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { RedactBody } from "../../audit/redact-body.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import { reasonOf } from "../access-log.ts";
import type { AttemptInfo, AttemptTelemetry, CopyTelemetry } from "../dispatch-telemetry.ts";
import { callInError } from "./attempt-status.ts";
import type { RequestTrace } from "./request-trace.ts";
import {
  answerAttributes,
  attemptAttributes,
  finishedAttributes,
  Key,
  operationOf,
  requestAttributes,
  spanName,
  spanTarget,
} from "./span-attributes.ts";
import { nextTraceparent, nextTracestate, parentContext } from "./trace-context.ts";

/**
 * A request's spans through the OpenTelemetry API, for any tracer: the SDK's span objects, set
 * as they go. Attributes are set on the started span rather than passed to `startSpan`, where
 * the SDK cleans them twice, and a span the sampler dropped takes none at all.
 */
export class ApiRequestTrace implements RequestTrace {
  private readonly span: Span;
  private vendor: string | undefined;

  constructor(
    private readonly tracer: Tracer,
    private readonly ledger: RequestLedger,
    /** Content capture: the redaction prompts and answers go through; undefined when off. */
    private readonly content: RedactBody | undefined,
  ) {
    this.span = tracer.startSpan(
      spanName(ledger.frontDoor, ledger.model),
      { kind: SpanKind.SERVER, startTime: ledger.startedAt },
      parentContext(ledger.traceparent, ledger.tracestate),
    );
    if (this.span.isRecording()) requestAttributes(spanTarget(this.span), ledger);
  }

  attempt(info: AttemptInfo): AttemptTelemetry {
    this.vendor = info.vendor;
    const span = this.clientSpan(info);
    const { traceparent, tracestate } = this.ledger;
    return {
      traceparent: nextTraceparent(span, traceparent),
      tracestate: nextTracestate(span, traceparent, tracestate),
      settled(error, servedBy) {
        span.setAttribute(Key.route.name, servedBy || info.route);
        if (error) fail(span, error);
      },
      closed: (error, _closedMs, answer) => {
        if (answer && span.isRecording()) {
          const { inputTokens, outputTokens } = answer.usage();
          const model = answer.answeredModel() ?? info.upstreamModel;
          const operation = operationOf(this.ledger.frontDoor) ?? this.ledger.frontDoor;
          answerAttributes(spanTarget(span), operation, model, inputTokens, outputTokens);
        }
        end(span, error);
      },
    };
  }

  shadowCopy(info: AttemptInfo): CopyTelemetry {
    const span = this.clientSpan(info);
    if (span.isRecording()) span.setAttribute(Key.shadow.name, true);
    const { traceparent, tracestate } = this.ledger;
    return {
      traceparent: nextTraceparent(span, traceparent),
      tracestate: nextTracestate(span, traceparent, tracestate),
      closed: (error) => end(span, error),
    };
  }

  /** An upstream call's span (an attempt's or a shadow copy's), a child of the server span. */
  private clientSpan(info: AttemptInfo): Span {
    const operation = operationOf(this.ledger.frontDoor) ?? this.ledger.frontDoor;
    const span = this.tracer.startSpan(
      `${operation} ${info.upstreamModel}`,
      { kind: SpanKind.CLIENT },
      trace.setSpan(ROOT_CONTEXT, this.span),
    );
    if (span.isRecording()) attemptAttributes(spanTarget(span), operation, info, info.route);
    return span;
  }

  finish(record: AuditRecord): void {
    const span = this.span;
    if (span.isRecording()) {
      finishedAttributes(spanTarget(span), record, this.content, this.ledger.answeredModel);
      if (this.vendor) span.setAttribute(Key.provider.name, this.vendor);
    }
    // A server span is in error for 5xx only; a refusal (4xx) is the client's error.
    if (record.status >= 500)
      span.setStatus({ code: SpanStatusCode.ERROR, message: record.errorClass ?? "" });
    span.end();
  }
}

function end(span: Span, error: GatewayError | undefined): void {
  if (error) fail(span, error);
  span.end();
}

function fail(span: Span, error: GatewayError): void {
  span.setAttribute(Key.errorType.name, error.code);
  // As the access line gives it: an upstream's message may echo what it was sent.
  if (callInError(error)) span.setStatus({ code: SpanStatusCode.ERROR, message: reasonOf(error) ?? "" });
}
