import { type Context, ROOT_CONTEXT, type SamplingResult, SpanKind, trace } from "@opentelemetry/api";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { RedactBody } from "../../audit/redact-body.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import type { AttemptInfo, AttemptTelemetry, CopyTelemetry } from "../dispatch-telemetry.ts";
import type { GatewayMetrics } from "../metrics/gateway-metrics.ts";
import type { BatchAttemptSpan } from "./batch-attempt-span.ts";
import { BatchAttemptTrace } from "./batch-attempt-trace.ts";
import { BatchServerSpan } from "./batch-server-span.ts";
import { type BatchTracer, type LaterSpans, sampled } from "./batch-tracer.ts";
import { hexOfWord } from "./id-generator.ts";
import type { RequestTrace } from "./request-trace.ts";
import { operationOf } from "./span-attributes.ts";
import { tracestateOf } from "./trace-context.ts";

/**
 * Whose client span `clientSpan` opens: the first attempt's, on the trace itself; a later
 * attempt's or a shadow copy's, each an object of its own (BatchAttemptTrace).
 */
const FIRST_ATTEMPT = 0;
const LATER_ATTEMPT = 1;
const SHADOW_COPY = 2;
type ClientSpanKind = typeof FIRST_ATTEMPT | typeof LATER_ATTEMPT | typeof SHADOW_COPY;

/**
 * A request's spans with no SDK span object (batch-tracer.ts says why): the ids, times and the
 * sampler's verdict are fields here, the attributes are read at the end from what the gateway
 * holds anyway (the ledger, the audit record, the attempt), and when the request ends its spans
 * are written into the export batch as one record (span-batch-layout.ts, `REQUEST`: the attempts
 * that closed, then the server span), which the export thread makes into span records. Why one
 * record: between two requests the gateway runs so much other code that a traced request's
 * tracing code runs cold, and then what it costs is how much distinct code it runs, not how
 * long its loop is (docs/BENCHMARKS-HISTORY.md, sessions 10 and 11); one writer a request, with
 * the trace id, parents, resource, scope and times' arithmetic left to the thread, runs less
 * than opening and closing each span. A client span that closes after its request ended (a
 * shadow copy's, nearly always; an attempt's on no usual path) is a record of its own. What
 * reaches the collector is what the SDK's spans made through ApiRequestTrace would carry, field
 * for field, as the SDK would time them (the server span from the request's arrival to the wall
 * clock at its end; an attempt from the wall clock at its start plus the monotonic time it took)
 * — batch-request-trace.test.ts holds the two equal.
 * It is its first attempt's handle too (BatchAttemptSpan, batch-attempt-span.ts: that attempt's span
 * and `traceparent`): one object a traced request, as metrics alone make one.
 */
export class BatchRequestTrace extends BatchServerSpan implements RequestTrace, LaterSpans {
  /*
   * Two spans in one object; which member is whose:
   * - the FIRST ATTEMPT's client span, inherited (BatchAttemptSpan, Traceparent): `s0`, `s1`,
   *   `flags`, `tracestate`, `traceparent` and `String(this)`, and the private `sampling`, `route`,
   *   `error`, `ended`… Its span id is 0000000000000000 until `attempt` opens it.
   * - the SERVER span, declared in BatchServerSpan (batch-server-span.ts) and named so: `serverSpanId0`, `serverSpanId1`,
   *   `serverSampling`, `serverTraceFlags`, `serverTraceState`, `serverTraceStateText`,
   *   `serverEnded`, `serverEndedAt`; its parent `remote`.
   * - both's: the trace id, `t0`–`t3`.
   * So the server span is written from `server*` members only (`begin`, `writeServer`); `this.s0`
   * there would export it under its child's id (batch-request-trace.test.ts, 'the server span is
   * never its first attempt's…').
   */

  /** This span as the attempts' parent, for the sampler; made with the first attempt. */
  private parentOfAttempts: Context | undefined;
  /** Its first attempt has started: a later one is an object of its own. */
  private attempted = false;
  private serverEnded = false;
  /** The request's record, from `finish` until written. */
  private record: AuditRecord | undefined;
  /** This request's record has been written (or had nothing to write). */
  private written = false;
  /** Sampled attempts whose spans ended before the request did, in that order (nearly always one). */
  private closedFirst: BatchAttemptSpan | undefined;
  private moreClosed: BatchAttemptSpan[] | undefined;

  constructor(
    tracer: BatchTracer,
    ledger: RequestLedger,
    content: RedactBody | undefined,
    metrics: GatewayMetrics | undefined,
  ) {
    // Its parameters named, not `...args`: a rest array would be made at every construction
    // (batch-attempt-span.ts says why that matters).
    super(tracer, ledger, content, metrics);
  }

  /** As its first attempt's handle, the request is its own. */
  protected get request(): BatchRequestTrace {
    return this;
  }

  /**
   * `startedMs`: the router's reading of the attempt's start (the span's length counts from it).
   * The first attempt's handle is this object (BatchAttemptSpan); a later one's, an object of its own.
   */
  attempt(info: AttemptInfo, startedMs: number): AttemptTelemetry {
    this.metrics?.attemptStarted(info, this.ledger.model);
    this.vendor = info.vendor;
    const kind = this.attempted ? LATER_ATTEMPT : FIRST_ATTEMPT;
    this.attempted = true;
    return this.clientSpan(info, startedMs, kind);
  }

  /** A shadow copy's span: as an attempt's, marked, with no attempt metrics and no say in the server span. */
  shadowCopy(info: AttemptInfo, startedMs: number): CopyTelemetry {
    return this.clientSpan(info, startedMs, SHADOW_COPY);
  }

  /** A client span of this request's: the first attempt's opened on this object, any other a new one. */
  private clientSpan(info: AttemptInfo, startedMs: number, kind: ClientSpanKind): BatchAttemptSpan {
    const operation = operationOf(this.ledger.frontDoor) ?? this.ledger.frontDoor;
    const tracer = this.tracer;
    tracer.drawSpanId();
    const s0 = tracer.drawnWord(0);
    const s1 = tracer.drawnWord(1);
    const result = tracer.childrenFollowParent
      ? this.serverSampling
      : this.sampleAttempt(`${operation} ${info.upstreamModel}`);
    // Its sampler's trace state, else this span's (its parent's), as the SDK gives a child span.
    const state = result.traceState;
    const tracestate =
      state === undefined || state === this.serverTraceState
        ? this.serverTraceStateText
        : tracestateOf(state);
    if (kind === FIRST_ATTEMPT) {
      this.open(operation, s0, s1, info, result, tracestate, startedMs, false);
      return this;
    }
    const shadow = kind === SHADOW_COPY;
    return new BatchAttemptTrace(this, operation, s0, s1, info, result, tracestate, startedMs, shadow);
  }

  /** The configured sampler's verdict on an attempt, this span being its parent. */
  private sampleAttempt(name: string): SamplingResult {
    this.parentOfAttempts ??= trace.setSpanContext(ROOT_CONTEXT, {
      traceId: this.traceId,
      spanId: hexOfWord(this.serverSpanId0) + hexOfWord(this.serverSpanId1),
      traceFlags: this.serverTraceFlags,
      ...(this.serverTraceState ? { traceState: this.serverTraceState } : {}),
    });
    return this.tracer.sample(this.parentOfAttempts, this.traceId, name, SpanKind.CLIENT);
  }

  /**
   * An attempt's span has ended: written with this request's record (in the order they closed),
   * or, when that has been written already, in a record of its own now.
   */
  attemptClosed(attempt: BatchAttemptSpan): void {
    if (!this.written) {
      if (this.closedFirst === undefined) this.closedFirst = attempt;
      else if (this.moreClosed === undefined) this.moreClosed = [attempt];
      else this.moreClosed.push(attempt);
      return;
    }
    const writer = this.begin(1);
    if (writer === undefined) return;
    attempt.writeSpan(writer);
    this.tracer.written();
  }

  /**
   * A `performance.now()` reading as epoch ms on this request's clock: the wall clock at its
   * arrival (the server span's start) plus the monotonic time since. Every span of the request is
   * timed so, its attempts' starts and ends and the server span's end, so that a child span lies
   * within its parent as its times do; one wall clock read a request, the arrival's.
   */
  wallTime(monotonicMs: number): number {
    return this.ledger.startedAt + (monotonicMs - this.ledger.startedMs);
  }

  /** Ends the server span: its record is written at the end of this turn of the event loop. */
  finish(record: AuditRecord): void {
    if (this.serverEnded) return;
    this.serverEnded = true;
    if (!sampled(this.serverSampling) && this.closedFirst === undefined) {
      // Nothing to write (an attempt that closes later writes its own record).
      this.written = true;
      return;
    }
    this.record = record;
    // On the clock its attempts' spans are timed by (`wallTime`), from the ledger's own reading of
    // the request's end: no clock read here, and an attempt that ended before the request ends
    // within its span, to the microsecond (a wall clock read here is whole milliseconds, and was
    // before an attempt's end as often as not).
    // Never before its start, as the SDK ends a span; a microsecond past the reading, as an epoch
    // millisecond in a double is good to ~0.25 µs only, and an attempt's end, its start plus its
    // length, may round that much later than the same moment does.
    this.serverEndedAt = Math.max(this.wallTime(this.ledger.finishedMs) + 0.001, this.ledger.startedAt);
    this.tracer.later(this);
  }

  /**
   * Writes the request's spans as one record: the attempts' client spans that have closed, then
   * the server span (only sampled spans are exported).
   */
  write(): void {
    const record = this.record;
    if (this.written || record === undefined) return;
    this.written = true;
    const server = sampled(this.serverSampling);
    const first = this.closedFirst;
    const more = this.moreClosed;
    const parts = (server ? 1 : 0) + (first ? 1 : 0) + (more ? more.length : 0);
    if (parts === 0) return;
    const writer = this.begin(parts);
    if (writer === undefined) return;
    if (first) first.writeSpan(writer);
    if (more) for (const attempt of more) attempt.writeSpan(writer);
    if (server) this.writeServer(writer, record);
    this.tracer.written();
  }
}
