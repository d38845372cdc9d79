import { type SamplingResult, SpanKind, SpanStatusCode, TraceFlags } from "@opentelemetry/api";
import type { GatewayError } from "../../core/gateway-error.ts";
import { Traceparent } from "../../core/traceparent.ts";
import { reasonOf } from "../access-log.ts";
import type { AttemptAnswer, AttemptInfo, AttemptTelemetry } from "../dispatch-telemetry.ts";
import type { AttemptCells } from "../metrics/series-cells.ts";
import { callInError } from "./attempt-status.ts";
import type { BatchRequestTrace } from "./batch-request-trace.ts";
import { samplerAttributes } from "./batch-span-parts.ts";
import { sampled } from "./batch-tracer.ts";
import { answerAttributes, attemptAttributes, Key } from "./span-attributes.ts";
import type { SpanBatchWriter } from "./span-batch.ts";
import { PARENT_SERVER } from "./span-batch-layout.ts";

/**
 * One upstream attempt of a BatchRequestTrace: the router's handle for it (its `traceparent` and
 * `tracestate`, its attempt metrics when metrics are on) and its client span, or a shadow copy's
 * (never settled, so never counted as an attempt), written into the
 * export batch with its request's record (batch-request-trace.ts). One object an attempt: the
 * span's start time is the metrics' too, and the handle is its own `traceparent` (a Traceparent
 * of the span's ids, whose words the span's record is written from), not a second object.
 */
export class BatchAttemptTrace extends Traceparent implements AttemptTelemetry {
  /**
   * Sampled or not, as the SDK propagates a span it does not record: the upstream learns the
   * trace and that it was not sampled, rather than starting a trace of its own.
   */
  readonly traceparent: Traceparent = this;
  private route: string;
  private error: GatewayError | undefined;
  private ended = false;
  /** Told of the answer the client got (`closed`): the model its upstream says answered, and what it used. */
  private answered: string | undefined;
  private inputTokens = 0;
  private outputTokens = 0;
  /** Monotonic ms from start to close (the span's length). */
  private took = 0;
  /** Its outcome's metric cells from its verdict, until its close times it. */
  private cells: AttemptCells | undefined;

  constructor(
    private readonly request: BatchRequestTrace,
    private readonly operation: string,
    /** The span id's words. */
    s0: number,
    s1: number,
    private readonly info: AttemptInfo,
    private readonly sampling: SamplingResult,
    /** Its trace state as the `tracestate` header and its span carry it (batch-request-trace.ts). */
    readonly tracestate: string | undefined,
    /**
     * The router's `performance.now()` at the attempt's start, and its reading of the verdict
     * (`settled`), are the metrics' and the span's: no clock read of this handle's own for them.
     */
    private readonly started: number,
    /** A shadow copy's span (`mindgw.shadow`), told only of its close. */
    private readonly shadow: boolean,
  ) {
    super(
      request.t0,
      request.t1,
      request.t2,
      request.t3,
      s0,
      s1,
      sampled(sampling) ? TraceFlags.SAMPLED : TraceFlags.NONE,
    );
    this.route = info.route;
  }

  settled(error: GatewayError | undefined, servedBy: string | undefined, _settledMs: number): void {
    if (servedBy) this.route = servedBy;
    this.cells = this.request.metrics?.attempted(this.route, error);
    if (this.ended) return;
    if (error) this.error = error;
  }

  /**
   * `closedMs`: the router's reading when it has one at the close (the verdict's), else read here,
   * once for the span's length and the attempt's duration metric alike (its whole operation, a
   * stream to its end).
   */
  closed(error?: GatewayError, closedMs?: number, answer?: AttemptAnswer): void {
    if (this.ended) return;
    this.ended = true;
    if (error) this.error = error;
    const cells = this.cells;
    const recorded = sampled(this.sampling);
    if (cells === undefined && !recorded) return;
    const took = (closedMs ?? performance.now()) - this.started;
    if (cells !== undefined) this.request.metrics?.attemptEnded(cells, took / 1000);
    if (!recorded) return;
    if (answer) {
      const { inputTokens, outputTokens } = answer.usage();
      this.answered = answer.answeredModel() ?? this.info.upstreamModel;
      this.inputTokens = inputTokens;
      this.outputTokens = outputTokens;
    }
    this.took = took;
    this.request.attemptClosed(this);
  }

  /** Its client span, as a part of the request's record (batch-request-trace.ts). */
  write(writer: SpanBatchWriter): void {
    const failure = this.error;
    writer.part(
      SpanKind.CLIENT,
      // Named `{operation} {model}`, as the SDK path names it.
      this.operation,
      this.info.upstreamModel,
      this.s0,
      this.s1,
      this.flags,
      this.tracestate,
      PARENT_SERVER,
      0,
      0,
      0,
      // Its request's clock (`wallTime`): the router's reading at its start, no wall clock read of its own.
      this.request.wallTime(this.started),
      this.took,
      callInError(failure) ? SpanStatusCode.ERROR : SpanStatusCode.UNSET,
      // As the access line gives it: an upstream's message may echo what it was sent.
      callInError(failure) ? reasonOf(failure) : undefined,
    );
    samplerAttributes(writer, this.sampling);
    attemptAttributes(writer, this.operation, this.info, this.route);
    if (this.shadow) writer.flag(Key.shadow, true);
    // As the SDK's span has them: set at its close, before a failure told then.
    if (this.answered !== undefined)
      answerAttributes(writer, this.answered, this.inputTokens, this.outputTokens);
    if (failure) writer.text(Key.errorType, failure.code);
    writer.endPart();
  }
}
