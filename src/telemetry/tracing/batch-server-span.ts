import {
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
import type { GatewayMetrics } from "../metrics/gateway-metrics.ts";
import { BatchAttemptSpan } from "./batch-attempt-span.ts";
import { samplerAttributes } from "./batch-span-parts.ts";
import { type BatchTracer, sampled } from "./batch-tracer.ts";
import { hexOfWord } from "./id-generator.ts";
import {
  finishedAttributes,
  Key,
  requestKindOf,
  spanName,
  spanNameFirst,
  spanNameSecond,
} from "./span-attributes.ts";
import type { SpanBatchWriter } from "./span-batch.ts";
import { PARENT_NONE, PARENT_REMOTE } from "./span-batch-layout.ts";
import { callerParentIdWord, callerTraceIdWord, parseTraceparent, tracestateOf } from "./trace-context.ts";

/** A built-in sampler's results (built-in-samplers.ts): no attributes, no trace state. */
const KEPT: SamplingResult = Object.freeze({ decision: SamplingDecision.RECORD_AND_SAMPLED });
const DROPPED: SamplingResult = Object.freeze({ decision: SamplingDecision.NOT_RECORD });

/**
 * The server span of a request's trace (BatchRequestTrace, batch-request-trace.ts, is the one
 * class made of it): its ids — the trace id drawn, read from the caller's `traceparent` or from
 * the request id the gateway made —, the sampler's verdict on it, and its part of the request's
 * record. A base class, not an object the request holds: one object a traced request, as before.
 */
export abstract class BatchServerSpan extends BatchAttemptSpan {
  /**
   * The server span's id, as 32-bit words as the batch holds them; the trace id's (`t0`–`t3`,
   * the Traceparent's) drawn as words, or read from the caller's `traceparent` or from the digits
   * of a request id the gateway made (its trace's id); never a hex string made to be parsed.
   */
  protected readonly serverSpanId0: number;
  protected readonly serverSpanId1: number;
  private readonly remote: SpanContext | undefined;
  /** The trace id is the request id's bits (the gateway made the id and no caller's trace goes on). */
  private readonly idIsTraceId: boolean;
  protected readonly serverSampling: SamplingResult;
  protected readonly serverTraceFlags: number;
  /** The sampler's trace state, else the caller's (the remote parent's), as the SDK gives a span. */
  protected readonly serverTraceState: TraceState | undefined;
  /** As the `tracestate` header and the exported span carry it (undefined when empty): made once. */
  protected readonly serverTraceStateText: string | undefined;
  /** The vendor of its last attempt, as the server span names it. */
  protected vendor: string | undefined;
  /** The server span's end (epoch ms), set when the request finishes. */
  protected serverEndedAt = 0;

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
      const header = ledger.traceparent;
      t0 = callerTraceIdWord(header, remote, 0);
      t1 = callerTraceIdWord(header, remote, 1);
      t2 = callerTraceIdWord(header, remote, 2);
      t3 = callerTraceIdWord(header, remote, 3);
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

  /** A record of `parts` of this request's spans, begun in the batch; undefined when they are dropped. */
  protected begin(parts: number): SpanBatchWriter | undefined {
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

  /** The server span, as the last part of the request's record. */
  protected writeServer(writer: SpanBatchWriter, record: AuditRecord): void {
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
      remote ? callerParentIdWord(this.ledger.traceparent, remote, 0) : 0,
      remote ? callerParentIdWord(this.ledger.traceparent, remote, 1) : 0,
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
