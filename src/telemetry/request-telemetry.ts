import type { AuditRecord } from "../audit/audit-record.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import type { RequestLedger } from "../http/request-ledger.ts";
import type { AttemptInfo, AttemptTelemetry, DispatchTelemetry } from "./dispatch-telemetry.ts";
import type { GatewayMetrics } from "./metrics/gateway-metrics.ts";
import type { AttemptTrace, RequestTrace, RequestTraces } from "./tracing/request-trace.ts";
import { passedOn } from "./tracing/trace-context.ts";

/** How a request is observed: metrics and spans, either of which may be off. */
export interface RequestTelemetryDeps {
  readonly metrics: GatewayMetrics | undefined;
  /** Undefined when tracing is off (no tracer). */
  readonly traces: RequestTraces | undefined;
}

/**
 * One request's telemetry from the moment its model is known: the server span, and per upstream
 * attempt a client span (retries and failover visible) plus the attempt metrics. The router sees
 * it as DispatchTelemetry; the observer ends it with the request's record.
 */
export class RequestTelemetry implements DispatchTelemetry {
  private readonly trace: RequestTrace | undefined;

  constructor(
    private readonly ledger: RequestLedger,
    private readonly deps: RequestTelemetryDeps,
  ) {
    this.trace = deps.traces?.start(ledger);
  }

  attempt(info: AttemptInfo): AttemptTelemetry {
    const metrics = this.deps.metrics;
    if (info.retry > 0) metrics?.retried(info.route);
    if (info.failover) metrics?.failedOver(this.ledger.model ?? "");
    return new Attempt(metrics, info.route, this.trace?.attempt(info), this.ledger.traceparent);
  }

  /** Ends the server span with what the request did. */
  finish(record: AuditRecord): void {
    this.trace?.finish(record);
  }
}

/** One upstream attempt: its metrics, and its span when tracing is on. */
class Attempt implements AttemptTelemetry {
  readonly headers: Readonly<Record<string, string>> | undefined;
  private readonly started = performance.now();

  constructor(
    private readonly metrics: GatewayMetrics | undefined,
    private route: string,
    private readonly span: AttemptTrace | undefined,
    inbound: string | null,
  ) {
    // Tracing off: the caller's own `traceparent` goes on to the upstream unchanged.
    this.headers = span ? span.headers : passedOn(inbound);
  }

  settled(error?: GatewayError, servedBy?: string): void {
    if (servedBy) this.route = servedBy;
    this.metrics?.attempted(this.route, (performance.now() - this.started) / 1000, error);
    this.span?.settled(this.route, error);
  }

  closed(error?: GatewayError): void {
    this.span?.closed(error);
  }
}
