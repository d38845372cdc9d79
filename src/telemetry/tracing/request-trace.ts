import type { Tracer } from "@opentelemetry/api";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import type { AttemptInfo } from "../dispatch-telemetry.ts";
import { ApiRequestTrace } from "./api-request-trace.ts";
import { BatchRequestTrace } from "./batch-request-trace.ts";
import { BatchTracer } from "./batch-tracer.ts";

/** The spans of one request: its server span, and a client span per upstream attempt. */
export interface RequestTrace {
  attempt(info: AttemptInfo): AttemptTrace;
  /** Ends the server span with what the request did. */
  finish(record: AuditRecord): void;
}

/** One attempt's client span; each method at most once, `closed` last. */
export interface AttemptTrace {
  /** `traceparent` for the upstream: this span's context, or the caller's passed on. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** The verdict, with the route that served the attempt (a worker's, once picked). */
  settled(route: string, error: GatewayError | undefined): void;
  closed(error: GatewayError | undefined): void;
}

/** Makes the request spans of every request, through whichever tracer the gateway was given. */
export interface RequestTraces {
  /** The server span, from the request's arrival, child of the caller's trace. */
  start(ledger: RequestLedger): RequestTrace;
  /** A request that ended before its model was known (refused at the door): one short span. */
  refused(ledger: RequestLedger, record: AuditRecord): void;
}

/**
 * Spans through any OpenTelemetry tracer (an embedder's own, sdk-node's for exporters other than
 * OTLP over HTTP); through startTracing's BatchTracer, written straight into the export batch.
 * `captureContent` puts prompts and answers on server spans.
 */
export function requestTraces(tracer: Tracer, captureContent: boolean): RequestTraces {
  if (tracer instanceof BatchTracer)
    return {
      start: (ledger) => new BatchRequestTrace(tracer, ledger, captureContent),
      refused: (ledger, record) => new BatchRequestTrace(tracer, ledger, false).finish(record),
    };
  return {
    start: (ledger) => new ApiRequestTrace(tracer, ledger, captureContent),
    refused: (ledger, record) => new ApiRequestTrace(tracer, ledger, false).finish(record),
  };
}
