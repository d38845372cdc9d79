import {
  type Context,
  ROOT_CONTEXT,
  SamplingDecision,
  type SamplingResult,
  type SpanContext,
  SpanKind,
  SpanStatusCode,
  TraceFlags,
  type TraceState,
  trace,
} from "@opentelemetry/api";
import type { AuditRecord } from "../../audit/audit-record.ts";
import type { RedactBody } from "../../audit/redact-body.ts";
import { freshIdWord } from "../../core/fresh-id-word.ts";
import type { RequestLedger } from "../../http/request-ledger.ts";
import type { AttemptInfo, AttemptTelemetry, CopyTelemetry } from "../dispatch-telemetry.ts";
import type { GatewayMetrics } from "../metrics/gateway-metrics.ts";
import { BatchAttemptSpan } from "./batch-attempt-span.ts";
import { BatchAttemptTrace } from "./batch-attempt-trace.ts";
import { samplerAttributes } from "./batch-span-parts.ts";
import { type BatchTracer, type LaterSpans, sampled } from "./batch-tracer.ts";
import { hexOfWord, hexWord } from "./id-generator.ts";
import type { RequestTrace } from "./request-trace.ts";
import {
  finishedAttributes,
  Key,
  operationOf,
  requestKindOf,
  spanName,
  spanNameFirst,
  spanNameSecond,
} from "./span-attributes.ts";
import type { SpanBatchWriter } from "./span-batch.ts";
import { PARENT_NONE, PARENT_REMOTE } from "./span-batch-layout.ts";
import { parseTraceparent, tracestateOf } from "./trace-context.ts";

/** A built-in sampler's results (built-in-samplers.ts): no attributes, no trace state. */
const KEPT: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const DROPPED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

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
export class BatchRequestTrace extends BatchAttemptSpan implements RequestTrace, LaterSpans {
  /*
   * Two spans in one object; which member is whose:
   * - the FIRST ATTEMPT's client span, inherited (BatchAttemptSpan, Traceparent): `s0`, `s1`,
   *   `flags`, `tracestate`, `traceparent` and `String(this)`, and the private `sampling`, `route`,
   *   `error`, `ended`… Its span id is 0000000000000000 until `attempt` opens it.
   * - the SERVER span, declared here and named so: `serverSpanId0`, `serverSpanId1`,
   *   `serverSampling`, `serverTraceFlags`, `serverTraceState`, `serverTraceStateText`,
   *   `serverEnded`, `serverEndedAt`; its parent `remote`.
   * - both's: the trace id, `t0`–`t3`.
   * So the server span is written from `server*` members only (`begin`, `writeServer`); `this.s0`
   * there would export it under its child's id (batch-request-trace.test.ts, 'the server span is
   * never its first attempt's…').
   */

  /**
   * The server span's id, as 32-bit words as the batch holds them; the trace id's (`t0`–`t3`,
   * the Traceparent's) drawn as words, or read from the caller's `traceparent` or from the digits
   * of a request id the gateway made (its trace's id); never a hex string made to be parsed.
   */
  private readonly serverSpanId0: number;
  private readonly serverSpanId1: number;
  private readonly remote: SpanContext | undefined;
  /** The trace id is the request id's bits (the gateway made the id and no caller's trace goes on). */
  private readonly idIsTraceId: boolean;
  private readonly serverSampling: SamplingResult;
  private readonly serverTraceFlags: number;
  /** The sampler's trace state, else the caller's (the remote parent's), as the SDK gives a span. */
  private readonly serverTraceState: TraceState | undefined;
  /** As the `tracestate` header and the exported span carry it (undefined when empty): made once. */
  private readonly serverTraceStateText: string | undefined;
  /** This span as the attempts' parent, for the sampler; made with the first attempt. */
  private parentOfAttempts: Context | undefined;
  private vendor: string | undefined;
  /** Its first attempt has started: a later one is an object of its own. */
  private attempted = false;
  private serverEnded = false;
  /** The request's record and the server span's end (epoch ms), from `finish` until written. */
  private record: AuditRecord | undefined;
  private serverEndedAt = 0;
  /** This request's record has been written (or had nothing to write). */
  private written = false;
  /** Sampled attempts whose spans ended before the request did, in that order (nearly always one). */
  private closedFirst: BatchAttemptSpan | undefined;
  private moreClosed: BatchAttemptSpan[] | undefined;

  constructor(
    readonly tracer: BatchTracer,
    readonly ledger: RequestLedger,
    /** Content capture: the redaction prompts and answers go through; undefined when off. */
    private readonly content: RedactBody | undefined,
    /** Attempt metrics, counted by each attempt's span (no second handle an attempt). */
    readonly metrics: GatewayMetrics | undefined,
  ) {
    const remote = parseTraceparent(ledger.traceparent, ledger.tracestate);
    // The ids are words, in the SDK's order (span, then trace); hex digits only for a sampler
    // that asks (`traceId`, `sampleAttempt`).
    tracer.drawSpanId();
    const s0 = tracer.drawnWord(0);
    const s1 = tracer.drawnWord(1);
    let t0: number;
    let t1: number;
    let t2: number;
    let t3: number;
    let idIsTraceId = false;
    if (remote) {
      const traceId = remote.traceId;
      t0 = hexWord(traceId, 0);
      t1 = hexWord(traceId, 1);
      t2 = hexWord(traceId, 2);
      t3 = hexWord(traceId, 3);
    } else if (ledger.freshId) {
      // The gateway's own request id is a UUIDv7 (request-id.ts): its 128 bits are this root
      // span's trace id, so the loop neither draws one nor copies the id's characters into the
      // batch (the thread makes them from the trace id: `TRACE_REQUEST_ID`), and an operator
      // finds the trace by the request id. The ratio sampler (here and the SDK's
      // TraceIdRatioBased) keeps a trace by the XOR of its four words: the last, digits 24–31,
      // is wholly random (74 random bits from digit 13 on, the variant in digit 16's top two),
      // so the XOR is as uniform as a drawn id's. W3C Trace Context's rightmost 7 random bytes
      // hold too. Never all zeros (the time and the version).
      const id = ledger.requestId;
      t0 = freshIdWord(id, 0);
      t1 = freshIdWord(id, 1);
      t2 = freshIdWord(id, 2);
      t3 = freshIdWord(id, 3);
      idIsTraceId = true;
    } else {
      tracer.drawTraceId();
      t0 = tracer.drawnWord(0);
      t1 = tracer.drawnWord(1);
      t2 = tracer.drawnWord(2);
      t3 = tracer.drawnWord(3);
    }
    // Its first attempt's span id and flags once it starts (`attempt`).
    super(t0, t1, t2, t3);
    this.remote = remote;
    this.serverSpanId0 = s0;
    this.serverSpanId1 = s1;
    this.idIsTraceId = idIsTraceId;
    this.serverSampling = this.sampleServer();
    this.serverTraceFlags = sampled(this.serverSampling) ? TraceFlags.SAMPLED : TraceFlags.NONE;
    const traceState = this.serverSampling.traceState ?? remote?.traceState;
    this.serverTraceState = traceState;
    this.serverTraceStateText = traceState === undefined ? undefined : tracestateOf(traceState);
  }

  /** As its first attempt's handle, the request is its own. */
  protected get request(): BatchRequestTrace {
    return this;
  }

  /** The trace id's hex digits, for a sampler that is not a built-in one. */
  get traceId(): string {
    return (
      this.remote?.traceId ??
      hexOfWord(this.t0) + hexOfWord(this.t1) + hexOfWord(this.t2) + hexOfWord(this.t3)
    );
  }

  /**
   * The configured sampler's verdict on this span: a built-in one's by the trace id's words (no
   * span name, context or result made), any other's through the sampler itself.
   */
  private sampleServer(): SamplingResult {
    const { remote, tracer } = this;
    const verdict = tracer.verdict;
    if (verdict !== undefined)
      return verdict(remote?.traceFlags, this.t0, this.t1, this.t2, this.t3) ? KEPT : DROPPED;
    const context = remote ? trace.setSpanContext(ROOT_CONTEXT, remote) : ROOT_CONTEXT;
    const name = spanName(this.ledger.frontDoor, this.ledger.model);
    return tracer.sample(context, this.traceId, name, SpanKind.SERVER);
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

  /** A record of `parts` of this request's spans, begun in the batch; undefined when they are dropped. */
  private begin(parts: number): SpanBatchWriter | undefined {
    const { tracer } = this;
    const writer = tracer.batchFor(parts);
    writer?.beginRequest(
      tracer.resource,
      tracer.scope,
      parts,
      this.t0,
      this.t1,
      this.t2,
      this.t3,
      this.serverSpanId0,
      this.serverSpanId1,
      this.serverTraceFlags,
    );
    return writer;
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

  /** The server span, as the last part of the request's record. */
  private writeServer(writer: SpanBatchWriter, record: AuditRecord): void {
    const { frontDoor, model } = this.ledger;
    const remote = this.remote;
    const start = this.ledger.startedAt;
    writer.part(
      SpanKind.SERVER,
      spanNameFirst(frontDoor),
      spanNameSecond(frontDoor, model),
      this.serverSpanId0,
      this.serverSpanId1,
      this.serverTraceFlags,
      this.serverTraceStateText,
      remote ? PARENT_REMOTE : PARENT_NONE,
      remote ? hexWord(remote.spanId, 0) : 0,
      remote ? hexWord(remote.spanId, 1) : 0,
      remote ? remote.traceFlags : 0,
      start,
      this.serverEndedAt,
      // A server span is in error for 5xx only; a refusal (4xx) is the client's error.
      record.status >= 500 ? SpanStatusCode.ERROR : SpanStatusCode.UNSET,
      record.status >= 500 ? (record.errorClass ?? "") : undefined,
    );
    samplerAttributes(writer, this.serverSampling);
    if (this.idIsTraceId) writer.traceRequestId(Key.requestId, this.ledger.requestId);
    else writer.text(Key.requestId, this.ledger.requestId);
    requestKindOf(writer, this.ledger);
    finishedAttributes(writer, record, this.content, this.ledger.answeredModel);
    if (this.vendor) writer.text(Key.provider, this.vendor);
    writer.endPart();
  }
}
