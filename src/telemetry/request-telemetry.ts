import type { AuditRecord } from "../audit/audit-record.ts";
import type { GatewayError } from "../core/gateway-error.ts";
import { passedOnTraceparent, type TraceparentValue } from "../core/traceparent.ts";
import { passedOnTracestate } from "../core/tracestate.ts";
import type { RequestLedger } from "../http/request-ledger.ts";
import type { AttemptAnswer, AttemptInfo, AttemptTelemetry, CopyTelemetry } from "./dispatch-telemetry.ts";
import type { GatewayMetrics } from "./metrics/gateway-metrics.ts";
import type { AttemptCells } from "./metrics/series-cells.ts";
import type { RequestTrace, RequestTraces } from "./tracing/request-trace.ts";

/** How a request is observed: metrics and spans, either of which may be off. */
export interface RequestTelemetryDeps {
  readonly metrics: GatewayMetrics | undefined;
  /** Undefined when tracing is off (no tracer). */
  readonly traces: RequestTraces | undefined;
}

/**
 * A traced request's telemetry (or, tracing off, one whose caller sent a `traceparent` to pass
 * on), from the moment its model is known; the observer ends it with the request's record.
 */
export function observeRequest(ledger: RequestLedger, deps: RequestTelemetryDeps): RequestTrace {
  return deps.traces
    ? deps.traces.start(ledger, deps.metrics)
    : new RequestTelemetry(ledger, deps.metrics, undefined);
}

/**
 * Metrics beside the spans of a tracer that has no handle of its own for them (any OpenTelemetry
 * tracer, ApiRequestTrace), or beside no spans at all: per upstream attempt the attempt metrics,
 * and the caller's `traceparent` and `tracestate` passed on when nothing is traced. (The batch
 * tracer's spans count their own attempts: batch-request-trace.ts.)
 */
export class RequestTelemetry implements RequestTrace {
  /** With nothing traced, the caller's `tracestate` each attempt passes on: read once a request. */
  private readonly tracestate: string | undefined;

  constructor(
    private readonly ledger: RequestLedger,
    private readonly metrics: GatewayMetrics | undefined,
    private readonly trace: RequestTrace | undefined,
  ) {
    this.tracestate = trace ? undefined : passedOnTracestate(ledger.traceparent, ledger.tracestate);
  }

  attempt(info: AttemptInfo, startedMs: number): AttemptTelemetry {
    this.metrics?.attemptStarted(info, this.ledger.model);
    return new Attempt(
      this.metrics,
      info.route,
      this.trace?.attempt(info, startedMs),
      this.ledger.traceparent,
      this.tracestate,
      startedMs,
    );
  }

  shadowCopy(info: AttemptInfo, startedMs: number): CopyTelemetry {
    const trace = this.trace;
    if (trace) return trace.shadowCopy(info, startedMs);
    // Tracing off: the caller's own trace context goes on with the copy, as with an attempt.
    return {
      traceparent: passedOnTraceparent(this.ledger.traceparent),
      tracestate: this.tracestate,
      closed: ignoreClose,
    };
  }

  /** Ends the server span with what the request did. */
  finish(record: AuditRecord): void {
    this.trace?.finish(record);
  }
}

const ignoreClose = () => {};

/** One upstream attempt: its metrics, and its span when tracing is on. */
class Attempt implements AttemptTelemetry {
  /** Its outcome's metric cells from its verdict, until its end times it (`closed`). */
  private cells: AttemptCells | undefined;
  readonly traceparent: TraceparentValue | undefined;
  readonly tracestate: string | undefined;

  constructor(
    private readonly metrics: GatewayMetrics | undefined,
    private route: string,
    private readonly span: AttemptTelemetry | undefined,
    inbound: string | null,
    /** The caller's `tracestate` as it is passed on (`passedOnTracestate`). */
    inboundState: string | undefined,
    /** The router's reading of the attempt's start. */
    private readonly started: number,
  ) {
    // Tracing off: the caller's own `traceparent` and `tracestate` go on to the upstream unchanged.
    this.traceparent = span ? span.traceparent : passedOnTraceparent(inbound);
    this.tracestate = span ? span.tracestate : inboundState;
  }

  settled(error: GatewayError | undefined, servedBy: string | undefined, settledMs: number): void {
    if (servedBy) this.route = servedBy;
    this.cells = this.metrics?.attempted(this.route, error);
    this.span?.settled(error, servedBy, settledMs);
  }

  closed(error?: GatewayError, closedMs?: number, answer?: AttemptAnswer): void {
    // Timed at its end (a stream's last event): one reading for the metric and the span.
    const cells = this.cells;
    if (cells && this.metrics) {
      this.cells = undefined;
      const endedMs = closedMs ?? performance.now();
      this.metrics.attemptEnded(cells, (endedMs - this.started) / 1000);
      this.span?.closed(error, endedMs, answer);
    } else this.span?.closed(error, closedMs, answer);
  }
}
