import type { SpanContext } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { hexWord } from "./id-generator.ts";
import { RequestRecordWriter } from "./request-record-writer.ts";
import {
  type Extras,
  FIELDS,
  NONE,
  PARENT_ID,
  type PlainContext,
  SPAN_ID,
  TRACE_ID,
} from "./span-batch-layout.ts";

const plainContext = (context: SpanContext): PlainContext => ({
  traceId: context.traceId,
  spanId: context.spanId,
  traceFlags: context.traceFlags,
  isRemote: context.isRemote,
  traceState: context.traceState?.serialize(),
});

/**
 * Writes ended spans into the current batch (span-batch-buffer.ts holds it; `take()` hands it
 * over): an SDK span as it ends (`add`), a span written field by field, or a request's record
 * of its spans (request-record-writer.ts).
 */
export class SpanBatchWriter extends RequestRecordWriter {
  add(span: ReadableSpan): void {
    const context = span.spanContext();
    const parent = span.parentSpanContext;
    this.begin(span.name, span.kind, span.resource, span.instrumentationScope);
    this.context(context.traceId, context.spanId, context.traceFlags, context.traceState?.serialize());
    if (parent?.spanId) this.parent(parent.spanId, parent.traceFlags, parent.isRemote === true);
    this.times(span.startTime[0], span.startTime[1], span.endTime[0], span.endTime[1]);
    this.status(span.status.code, span.status.message);
    const n = this.numbers;
    n[this.head + 16] = span.droppedEventsCount;
    n[this.head + 17] = span.droppedLinksCount;
    n[this.head + 20] = this.extrasOf(span);
    for (const key in span.attributes) {
      const value = span.attributes[key];
      if (value !== undefined) this.attribute(this.shared(key), value);
    }
    this.end(span.droppedAttributesCount);
  }

  /**
   * Starts a span record written field by field, for spans that never were an SDK span object
   * (batch-tracer.ts): `begin`, then `context`, and `parent`, `times`, `status` as they apply,
   * then its attributes (`setAttribute`), then `end()`. Nothing else may be written between.
   */
  begin(name: string, kind: number, resource: Resource, scope: InstrumentationScope): void {
    this.start(this.shared(name), kind, resource, scope);
  }

  private start(name: number, kind: number, resource: Resource, scope: InstrumentationScope): void {
    this.room(FIELDS + 1);
    const n = this.numbers;
    const i = this.at;
    this.head = i;
    n[i] = name;
    n[i + 1] = kind;
    n[i + 5] = NONE;
    n[i + 6] = NONE;
    n[i + 7] = 0;
    n[i + 8] = 0;
    n[i + 13] = 0;
    n[i + 14] = NONE;
    n[i + 15] = 0;
    n[i + 16] = 0;
    n[i + 17] = 0;
    n[i + 18] = this.origins.resourceOf(resource);
    n[i + 19] = this.origins.scopeOf(scope);
    n[i + 20] = NONE;
    this.at = i + FIELDS + 1;
    this.attributes = 0;
  }

  context(traceId: string, spanId: string, traceFlags: number, traceState: string | undefined): void {
    this.contextWords(
      hexWord(traceId, 0),
      hexWord(traceId, 1),
      hexWord(traceId, 2),
      hexWord(traceId, 3),
      hexWord(spanId, 0),
      hexWord(spanId, 1),
      traceFlags,
      traceState,
    );
  }

  /** `context` with the trace id (`t0`–`t3`) and span id (`s0`, `s1`) as their 32-bit words. */
  private contextWords(
    t0: number,
    t1: number,
    t2: number,
    t3: number,
    s0: number,
    s1: number,
    traceFlags: number,
    traceState: string | undefined,
  ): void {
    const n = this.numbers;
    const i = this.head;
    n[i + 2] = 0;
    n[i + 3] = 0;
    n[i + TRACE_ID] = t0;
    n[i + TRACE_ID + 1] = t1;
    n[i + TRACE_ID + 2] = t2;
    n[i + TRACE_ID + 3] = t3;
    n[i + SPAN_ID] = s0;
    n[i + SPAN_ID + 1] = s1;
    n[i + 4] = traceFlags;
    n[i + 5] = traceState ? this.unique(traceState) : NONE;
  }

  parent(spanId: string, traceFlags: number, isRemote: boolean): void {
    this.parentWords(hexWord(spanId, 0), hexWord(spanId, 1), traceFlags, isRemote);
  }

  /** `parent` with the span id as its two words. */
  private parentWords(s0: number, s1: number, traceFlags: number, isRemote: boolean): void {
    const n = this.numbers;
    const i = this.head;
    n[i + 6] = 1;
    n[i + PARENT_ID] = s0;
    n[i + PARENT_ID + 1] = s1;
    n[i + 7] = traceFlags;
    n[i + 8] = isRemote ? 1 : 0;
  }

  /** Start and end as OpenTelemetry's HrTime: epoch seconds and nanoseconds. */
  times(startSeconds: number, startNanos: number, endSeconds: number, endNanos: number): void {
    const n = this.numbers;
    const i = this.head;
    n[i + 9] = startSeconds;
    n[i + 10] = startNanos;
    n[i + 11] = endSeconds;
    n[i + 12] = endNanos;
  }

  status(code: number, message: string | undefined): void {
    this.numbers[this.head + 13] = code;
    this.numbers[this.head + 14] = message ? this.shared(message) : NONE;
  }

  /** Closes the span record begun last; `dropped`: attributes the SDK dropped. */
  end(dropped = 0): void {
    this.numbers[this.head + 15] = dropped;
    this.numbers[this.head + FIELDS] = this.attributes;
    this.count++;
  }

  private extrasOf(span: ReadableSpan): number {
    if (span.links.length === 0 && span.events.length === 0) return NONE;
    const extras: Extras = {};
    if (span.events.length > 0) extras.events = span.events;
    if (span.links.length > 0)
      extras.links = span.links.map((link) => ({
        context: plainContext(link.context),
        ...(link.attributes ? { attributes: link.attributes } : {}),
        ...(link.droppedAttributesCount !== undefined
          ? { droppedAttributesCount: link.droppedAttributesCount }
          : {}),
      }));
    return this.unique(JSON.stringify(extras));
  }
}
