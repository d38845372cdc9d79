import {
  type Attributes,
  type Context,
  type Link,
  SamplingDecision,
  type SpanKind,
  type Tracer,
} from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { IdGenerator, Sampler, SamplingResult } from "@opentelemetry/sdk-trace";
import { verdictOf, type WordVerdict } from "./built-in-samplers.ts";
import { hexWord, type WordIdGenerator } from "./id-generator.ts";
import type { SpanBatchWriter } from "./span-batch.ts";

const NO_ATTRIBUTES: Attributes = Object.freeze({});
const NO_LINKS: Link[] = Object.freeze([]) as unknown as Link[];

/** Where ended spans are written: the span processor's current batch (thread-span-processor.ts). */
export interface SpanBatches {
  readonly writer: SpanBatchWriter;
  /**
   * The batch to write the next `spans` spans into (one SDK span, or a request's record), or
   * undefined when they are dropped (counted).
   */
  batchFor(spans: number): SpanBatchWriter | undefined;
  /** After a span or a record was written. */
  written(): void;
  /**
   * Calls `spans.write()` at the end of this turn of the event loop, with every other request's
   * record queued in the turn (and before any flush or shutdown goes on).
   */
  later(spans: LaterSpans): void;
}

/** A request's spans, written into the batch at the end of the turn it ended in. */
export interface LaterSpans {
  write(): void;
}

/** What the SDK's tracer is configured with, as startTracing found it. */
export interface BatchTracerParts {
  /** The SDK's tracer: every span started through the OpenTelemetry API goes on through it. */
  readonly sdk: Tracer;
  /** The sampler sdk-node was given (sampler-from-env.ts): one decision, both ways. */
  readonly sampler: Sampler;
  /** The id generator sdk-node was given (id-generator.ts). */
  readonly ids: IdGenerator | WordIdGenerator;
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** The SDK's `attributeValueLengthLimit` (`OTEL_[SPAN_]ATTRIBUTE_VALUE_LENGTH_LIMIT`). */
  readonly valueLengthLimit: number;
  readonly processor: SpanBatches;
  /**
   * The sampler is one samplerFromEnv built (the six `OTEL_TRACES_SAMPLER` built-ins). For each,
   * a span whose parent is local gets its parent's decision: always_on/off and traceidratio
   * decide by the trace id alone (the child's is its parent's), and the parent-based ones hand a
   * local parent's child to AlwaysOn when the parent is sampled and AlwaysOff when not, none of
   * them adding attributes or a trace state. So an attempt span takes its server span's verdict
   * without asking again (the parent-based sampler validated the parent's ids by regular
   * expression and needed a context made per request: ~1 µs of a traced request).
   */
  readonly childrenFollowParent?: boolean;
}

/**
 * The tracer `startTracing` hands out when spans go to the export thread. Through the
 * OpenTelemetry `Tracer` interface it is the SDK's tracer, unchanged (the worker hop, anything an
 * embedder starts). Beside it, the gateway's own request spans (batch-request-trace.ts) skip the
 * SDK's `Span` object: the SDK's sampler decides, and an ended span is written as plain numbers
 * and strings straight into the export batch with the SDK's resource and scope. Why: the SDK's
 * span (id validation, a context, a sampling result, two self-metric closures, an options object
 * and a `WeakSet` per attribute, hrtime arrays, ~30 objects a span) made a traced request's spans
 * cost the event loop 8.5 µs, against 3.7 µs written straight (same process, alternating rounds),
 * when the 0.95 target leaves all of tracing ~7 µs over both threads (docs/BENCHMARKS-HISTORY.md, "Fourth
 * pass (session 4)").
 */
export class BatchTracer implements Tracer {
  readonly startSpan: Tracer["startSpan"];
  readonly startActiveSpan: Tracer["startActiveSpan"];
  /** See `BatchTracerParts.childrenFollowParent`. */
  readonly childrenFollowParent: boolean;
  /**
   * The sampler's verdict on a server span by the trace id's words, when it is a built-in one
   * (built-in-samplers.ts); else undefined, and `sample` asks the sampler.
   */
  readonly verdict: WordVerdict | undefined;
  /** sdk-node's resource and scope, which every request span carries. */
  readonly resource: Resource;
  readonly scope: InstrumentationScope;
  /** The generator's word draws, when it has them. */
  private readonly wordIds: WordIdGenerator | undefined;
  /** The id drawn last from a generator without word draws. */
  private drawn = "";

  constructor(private readonly parts: BatchTracerParts) {
    this.startSpan = parts.sdk.startSpan.bind(parts.sdk);
    this.startActiveSpan = parts.sdk.startActiveSpan.bind(parts.sdk);
    this.childrenFollowParent = parts.childrenFollowParent === true;
    this.verdict = verdictOf(parts.sampler);
    this.resource = parts.resource;
    this.scope = parts.scope;
    parts.processor.writer.valueLengthLimit = parts.valueLengthLimit;
    this.wordIds = "drawTraceId" in parts.ids ? parts.ids : undefined;
  }

  /** Draws a trace id known by its words (`drawnWord` 0–3), as WordIdGenerator's `drawTraceId`. */
  drawTraceId(): void {
    if (this.wordIds) this.wordIds.drawTraceId();
    else this.drawn = this.parts.ids.generateTraceId();
  }

  /** Draws a span id known by its words (`drawnWord` 0–1), as WordIdGenerator's `drawSpanId`. */
  drawSpanId(): void {
    if (this.wordIds) this.wordIds.drawSpanId();
    else this.drawn = this.parts.ids.generateSpanId();
  }

  /** Word `w` of the id drawn last, read before any other id is drawn. */
  drawnWord(w: number): number {
    return this.wordIds ? this.wordIds.drawnWord(w) : hexWord(this.drawn, w);
  }

  /** The configured sampler's decision for a span about to start (no attributes, no links). */
  sample(context: Context, traceId: string, name: string, kind: SpanKind): SamplingResult {
    return this.parts.sampler.shouldSample(context, traceId, name, kind, NO_ATTRIBUTES, NO_LINKS);
  }

  /**
   * The batch a request's record of `spans` ended, sampled spans is written into
   * (`SpanBatchWriter.beginRequest`, with this tracer's `resource` and `scope`; then `written()`),
   * or undefined when they are dropped (the hand-over bound, counted) or tracing has shut down.
   */
  batchFor(spans: number): SpanBatchWriter | undefined {
    return this.parts.processor.batchFor(spans);
  }

  /** After a record was written: the batch goes when full or when its delay is up. */
  written(): void {
    this.parts.processor.written();
  }

  /** See `SpanBatches.later`. */
  later(spans: LaterSpans): void {
    this.parts.processor.later(spans);
  }
}

/** Sampled (exported) as well as recorded. */
export const sampled = (result: SamplingResult) => result.decision === SamplingDecision.RECORD_AND_SAMPLED;
