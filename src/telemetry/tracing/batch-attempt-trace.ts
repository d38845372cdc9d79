import {
  SamplingDecision,
  type SamplingResult,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
} from "@opentelemetry/api";
import type { GatewayError } from "../../core/gateway-error.ts";
import type { AttemptInfo, AttemptTelemetry } from "../dispatch-telemetry.ts";
import type { BatchRequestTrace } from "./batch-request-trace.ts";
import { nanos, samplerAttributes, seconds } from "./batch-span-parts.ts";
import { sampled } from "./batch-tracer.ts";
import { attemptAttributes, Key } from "./span-attributes.ts";
import { passedOn } from "./trace-context.ts";

const traceparent = (traceId: string, spanId: string, flags: number) =>
  `00-${traceId}-${spanId}-${(flags & TraceFlags.SAMPLED) === 0 ? "00" : "01"}`;

/**
 * One upstream attempt of a BatchRequestTrace: the router's handle for it (its `traceparent`,
 * its attempt metrics when metrics are on) and its client span, written into the export batch
 * when it closes. One object an attempt: the span's start time is the metrics' too.
 */
export class BatchAttemptTrace implements AttemptTelemetry {
  readonly headers: Readonly<Record<string, string>> | undefined;
  private readonly startedAt = Date.now();
  private readonly started = performance.now();
  private readonly traceFlags: number;
  private route: string;
  private error: GatewayError | undefined;
  private ended = false;

  constructor(
    private readonly request: BatchRequestTrace,
    private readonly operation: string,
    spanId: string,
    /** The span id's words. */
    private readonly s0: number,
    private readonly s1: number,
    private readonly info: AttemptInfo,
    private readonly sampling: SamplingResult,
  ) {
    this.traceFlags = sampled(sampling) ? TraceFlags.SAMPLED : TraceFlags.NONE;
    // Not recorded: no span, and the caller's own `traceparent` goes on unchanged.
    this.headers =
      sampling.decision === SamplingDecision.NOT_RECORD
        ? passedOn(request.ledger.traceparent)
        : { traceparent: traceparent(request.traceId, spanId, this.traceFlags) };
    this.route = info.route;
  }

  settled(error?: GatewayError, servedBy?: string): void {
    if (servedBy) this.route = servedBy;
    this.request.metrics?.attempted(this.route, (performance.now() - this.started) / 1000, error);
    if (this.ended) return;
    if (error) this.error = error;
  }

  closed(error?: GatewayError): void {
    if (this.ended) return;
    this.ended = true;
    if (error) this.error = error;
    if (!sampled(this.sampling)) return;
    // Named `{operation} {model}`, as the SDK path names it.
    const writer = this.request.tracer.open(this.operation, this.info.upstreamModel, SpanKind.CLIENT);
    if (writer === undefined) return;
    // The parent's trace state, unless the sampler gave one.
    const traceState = this.sampling.traceState ?? this.request.traceState;
    this.request.contextOf(writer, this.s0, this.s1, this.traceFlags, traceState);
    this.request.parentOf(writer);
    // As the SDK times a span not given its start: wall clock at the start, plus monotonic time.
    const took = performance.now() - this.started;
    let endSeconds = seconds(this.startedAt) + seconds(took);
    let endNanos = nanos(this.startedAt) + nanos(took);
    if (endNanos >= 1e9) {
      endNanos -= 1e9;
      endSeconds += 1;
    }
    writer.times(seconds(this.startedAt), nanos(this.startedAt), endSeconds, endNanos);
    const failure = this.error;
    if (failure) writer.status(SpanStatusCode.ERROR, failure.message);
    samplerAttributes(writer, this.sampling);
    attemptAttributes(writer, this.operation, this.info, this.route);
    if (failure) writer.text(Key.errorType, failure.code);
    this.request.tracer.close();
  }
}
