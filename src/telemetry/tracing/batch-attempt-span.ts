import {
  SamplingDecision,
  type SamplingResult,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
} from "@opentelemetry/api";
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

/** What a handle holds before its attempt opens (`open`): never written, never sent. */
const NO_ATTEMPT: AttemptInfo = Object.freeze({
  route: "",
  vendor: "",
  upstreamModel: "",
  retry: 0,
  failover: false,
});
const NOT_OPEN: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * One upstream attempt of a BatchRequestTrace: the router's handle for it (its `traceparent` and
 * `tracestate`, its attempt metrics when metrics are on) and its client span, or a shadow copy's
 * (never settled, so never counted as an attempt), written into the export batch with its
 * request's record (batch-request-trace.ts). One object an attempt: the span's start time is the
 * metrics' too, and the handle is its own `traceparent` (a Traceparent of the span's ids, whose
 * words the span's record is written from), not a second object. The request's trace is its
 * first attempt's handle as well (as MeteredAttempts is for metrics alone): a traced request
 * makes one object for its spans, where it made two; a later attempt or a shadow copy is a
 * BatchAttemptTrace of its own.
 */
export abstract class BatchAttemptSpan extends Traceparent implements AttemptTelemetry {
  /** Its trace state as the `tracestate` header and its span carry it (batch-request-trace.ts). */
  private state: string | undefined = undefined;
  private operation = "";
  private info: AttemptInfo = NO_ATTEMPT;
  private sampling: SamplingResult = NOT_OPEN;
  /**
   * The router's `performance.now()` at the attempt's start, and its reading of the verdict
   * (`settled`), are the metrics' and the span's: no clock read of this handle's own for them.
   */
  private started = 0;
  /** A shadow copy's span (`mindgw.shadow`), told only of its close. */
  private shadow = false;
  private route = "";
  private error: GatewayError | undefined = undefined;
  private ended = false;
  /** Told of the answer the client got (`closed`): the model its upstream says answered, and what it used. */
  private answered: string | undefined = undefined;
  private inputTokens = 0;
  private outputTokens = 0;
  /** Monotonic ms from start to close (the span's length). */
  private took = 0;
  /** Its outcome's metric cells from its verdict, until its close times it. */
  private cells: AttemptCells | undefined = undefined;

  /**
   * A constructor of its own, not the implicit one: a derived class's is `constructor(...args) {
   * super(...args) }`, whose rest array JavaScriptCore makes at every construction, hot or not
   * (`heapStats` of `bun:jsc`: an Array cell and ~74 bytes a traced request, gone with this one).
   * `t0`–`t3`: the trace id's words; the span id and flags come when the attempt opens (`open`).
   */
  constructor(t0: number, t1: number, t2: number, t3: number) {
    super(t0, t1, t2, t3, 0, 0, 0);
  }

  /**
   * Sampled or not, as the SDK propagates a span it does not record: the upstream learns the
   * trace and that it was not sampled, rather than starting a trace of its own. The handle is its
   * own `traceparent`: a getter, not a field of every traced request that points at itself.
   */
  get traceparent(): Traceparent {
    return this;
  }

  get tracestate(): string | undefined {
    return this.state;
  }

  /** The request whose attempt this is. */
  protected abstract readonly request: BatchRequestTrace;

  /** The attempt starts: `s0`, `s1` its span id's words, `sampling` its sampler's verdict. */
  protected open(
    operation: string,
    s0: number,
    s1: number,
    info: AttemptInfo,
    sampling: SamplingResult,
    tracestate: string | undefined,
    started: number,
    shadow: boolean,
  ): void {
    this.spanIs(s0, s1, sampled(sampling) ? TraceFlags.SAMPLED : TraceFlags.NONE);
    this.operation = operation;
    this.info = info;
    this.sampling = sampling;
    this.state = tracestate;
    this.started = started;
    this.shadow = shadow;
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
    const request = this.request;
    if (cells !== undefined) request.metrics?.attemptEnded(cells, took / 1000);
    if (!recorded) return;
    if (answer) {
      const { inputTokens, outputTokens } = answer.usage();
      this.answered = answer.answeredModel() ?? this.info.upstreamModel;
      this.inputTokens = inputTokens;
      this.outputTokens = outputTokens;
    }
    this.took = took;
    request.attemptClosed(this);
  }

  /** Its client span, as a part of the request's record (batch-request-trace.ts). */
  writeSpan(writer: SpanBatchWriter): void {
    const failure = this.error;
    writer.part(
      SpanKind.CLIENT,
      // Named `{operation} {model}`, as the SDK path names it.
      this.operation,
      this.info.upstreamModel,
      this.s0,
      this.s1,
      this.flags,
      this.state,
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
      answerAttributes(writer, this.operation, this.answered, this.inputTokens, this.outputTokens);
    if (failure) writer.text(Key.errorType, failure.code);
    writer.endPart();
  }
}
