import type { Tracer } from "@opentelemetry/api";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { RedactBody } from "../../audit/redact-body.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import type { AttemptInfo, CopyTelemetry, DispatchTelemetry } from "../dispatch-telemetry.ts";
import type { GatewayMetrics } from "../metrics/gateway-metrics.ts";
import { RequestTelemetry } from "../request-telemetry.ts";
import { ApiRequestTrace } from "./api-request-trace.ts";
import { BatchRequestTrace } from "./batch-request-trace.ts";
import { BatchTracer } from "./batch-tracer.ts";

/**
 * The spans of one request: its server span, and a client span per upstream attempt (the
 * router's DispatchTelemetry: each attempt's handle carries the `traceparent` for the upstream).
 */
export interface RequestTrace extends DispatchTelemetry {
  /** A shadow copy's client span, under the server span, marked `mindgw.shadow`. */
  shadowCopy(info: AttemptInfo, startedMs: number): CopyTelemetry;
  /** Ends the server span with what the request did. */
  finish(record: AuditRecord): void;
}

/** Makes the request spans of every request, through whichever tracer the gateway was given. */
export interface RequestTraces {
  /**
   * The server span, from the request's arrival, child of the caller's trace; `metrics`, when
   * on, count each attempt through the same handle (one object an attempt, not two).
   */
  start(ledger: RequestLedger, metrics: GatewayMetrics | undefined): RequestTrace;
  /** A request that ended before its model was known (refused at the door): one short span. */
  refused(ledger: RequestLedger, record: AuditRecord): void;
}

/**
 * Spans through any OpenTelemetry tracer (an embedder's own, sdk-node's for exporters other than
 * OTLP over HTTP); through startTracing's BatchTracer, written straight into the export batch.
 * `content` (when given) puts prompts and answers on server spans, through that redaction.
 */
export function requestTraces(tracer: Tracer, content: RedactBody | undefined): RequestTraces {
  if (tracer instanceof BatchTracer)
    return {
      start: (ledger, metrics) => new BatchRequestTrace(tracer, ledger, content, metrics),
      refused: (ledger, record) => new BatchRequestTrace(tracer, ledger, undefined, undefined).finish(record),
    };
  return {
    start: (ledger, metrics) =>
      new RequestTelemetry(ledger, metrics, new ApiRequestTrace(tracer, ledger, content)),
    refused: (ledger, record) => new ApiRequestTrace(tracer, ledger, undefined).finish(record),
  };
}

/** A request's telemetry that ends with its record (a trace), told apart from metrics alone. */
export const isRequestTrace = (telemetry: DispatchTelemetry | undefined): telemetry is RequestTrace =>
  telemetry !== undefined && "finish" in telemetry;
