import type { AttributeValue, SpanContext } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan } from "@opentelemetry/sdk-trace";
import { BatchOrigins } from "./batch-origins.ts";
import { hexWord } from "./id-generator.ts";
import { ATTRIBUTE_KEYS, type AttributeKey } from "./span-attributes.ts";
import {
  BOOLEAN,
  BYTES,
  type Extras,
  FIELDS,
  JSON_VALUE,
  NONE,
  NUMBER,
  P_ATTRIBUTES,
  P_END,
  P_FIELDS,
  P_FLAGS,
  P_ID,
  P_KIND,
  P_MESSAGE,
  P_NAME,
  P_PARENT,
  P_PARENT_FLAGS,
  P_PARENT_ID,
  P_START,
  P_STATE,
  P_STATUS,
  PARENT_ID,
  type PlainContext,
  R_HEADER,
  R_PARTS,
  R_RESOURCE,
  R_SCOPE,
  R_SERVER_FLAGS,
  R_SERVER_ID,
  R_TRACE_ID,
  REQUEST,
  SPAN_ID,
  type SpanBatch,
  STRING,
  TEXT,
  TRACE_ID,
  TYPES,
  UNIQUE_LENGTH,
} from "./span-batch-layout.ts";
import { StringTable, type TableLimit } from "./string-table.ts";

/**
 * Batch numbers live in shared memory: posting a view of it to the export thread copies
 * nothing, where a plain array had to be sliced off the writer's and then transferred, which
 * Bun does at a cost near a copy (~100 µs a batch of 512 spans together, on the event loop).
 */
const sharedNumbers = (length: number) => new Float64Array(new SharedArrayBuffer(length * 8));

const plainContext = (context: SpanContext): PlainContext => ({
  traceId: context.traceId,
  spanId: context.spanId,
  traceFlags: context.traceFlags,
  isRemote: context.isRemote,
  traceState: context.traceState?.serialize(),
});

/** Writes ended spans into the current batch; `take()` hands the batch over and starts another. */
export class SpanBatchWriter {
  private readonly origins = new BatchOrigins();
  /** Kept across batches: the thread mirrors it. Starts with the request spans' attribute keys. */
  private readonly table: StringTable;
  private strings: string[] = [];
  private numbers: Float64Array;
  private at = 0;
  /** Where the span being written starts, and its attributes so far. */
  private head = 0;
  private attributes = 0;
  /** For `setAttribute`: the SDK's `attributeValueLengthLimit` (none unless set). */
  valueLengthLimit = Number.POSITIVE_INFINITY;
  /** Spans in the current batch. */
  count = 0;

  /** Arrays whose batches the export thread has sent, for the next batches (`recycle`). */
  private readonly spare: Float64Array[] = [];
  private readonly size: number;

  /** `tableLimit`: see StringTable (tests lower it). */
  constructor(capacity: number, tableLimit?: TableLimit) {
    this.table = new StringTable(ATTRIBUTE_KEYS, tableLimit);
    this.size = capacity * (FIELDS + 24);
    this.numbers = sharedNumbers(this.size);
  }

  /**
   * A batch's numbers once the export thread is done with them (its reply came): the next batch
   * is written into the same memory instead of a new array (512 spans are ~200 KB; two kept).
   */
  recycle(numbers: Float64Array): void {
    const whole = new Float64Array(numbers.buffer);
    if (this.spare.length < 2 && whole.length >= this.size) this.spare.push(whole);
  }

  /** A string that repeats (names, keys, enum-like values): its string-table index. */
  private shared(value: string): number {
    return this.table.intern(value);
  }

  /** A string of this span's own (long values, trace state, extras): no lookup. */
  private unique(value: string): number {
    return this.strings.push(value) - 1;
  }

  private room(slots: number): void {
    if (this.at + slots <= this.numbers.length) return;
    const grown = sharedNumbers(Math.max(this.numbers.length * 2, this.at + slots));
    grown.set(this.numbers.subarray(0, this.at));
    this.numbers = grown;
  }

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

  /**
   * An attribute of the span being written, a string cut to the SDK's value length limit
   * (`OTEL_[SPAN_]ATTRIBUTE_VALUE_LENGTH_LIMIT`). Each key at most once per span, and no more
   * keys than the SDK's count limit allows (batch-tracer.ts is used only when they fit).
   */
  setAttribute(key: string, value: string | number | boolean): void {
    this.attribute(this.shared(key), typeof value === "string" ? this.cut(value) : value);
  }

  /*
   * `setAttribute` for one of the request spans' keys (span-attributes.ts), by the value's type:
   * written by the key's position, since the string table starts with ATTRIBUTE_KEYS in every
   * generation, and with no type test (the caller's type says it).
   */
  text(key: AttributeKey, value: string): void {
    this.stringPair(key.index, this.cut(value));
  }

  number(key: AttributeKey, value: number): void {
    this.pair(key.index * TYPES + NUMBER, value);
  }

  flag(key: AttributeKey, value: boolean): void {
    this.pair(key.index * TYPES + BOOLEAN, value ? 1 : 0);
  }

  private cut(value: string): string {
    const length = this.valueLengthLimit;
    return value.length > length ? value.substring(0, length) : value;
  }

  /** One attribute's two slots: key × TYPES + type, then the value. */
  private pair(slot: number, value: number): void {
    this.room(2);
    const n = this.numbers;
    const at = this.at;
    n[at] = slot;
    n[at + 1] = value;
    this.at = at + 2;
    this.attributes++;
  }

  private stringPair(key: number, value: string): void {
    // A long value is nearly always the request's own (a request id, content): written
    // straight, not looked up and added to the table of repeating strings.
    if (value.length >= UNIQUE_LENGTH) this.pair(key * TYPES + TEXT, this.unique(value));
    else this.pair(key * TYPES + STRING, this.shared(value));
  }

  private attribute(key: number, value: AttributeValue | null): void {
    if (typeof value === "string") this.stringPair(key, value);
    else if (typeof value === "number") this.pair(key * TYPES + NUMBER, value);
    else if (typeof value === "boolean") this.pair(key * TYPES + BOOLEAN, value ? 1 : 0);
    else if (value instanceof Uint8Array)
      this.pair(key * TYPES + BYTES, this.unique(JSON.stringify(Array.from(value))));
    else this.pair(key * TYPES + JSON_VALUE, this.unique(JSON.stringify(value)));
  }

  /**
   * Starts a request's record of `parts` spans (span-batch-layout.ts, `REQUEST`): the trace id
   * (`t0`–`t3`, most significant first) and the server span's id and flags, which every attempt
   * names as its parent. Then `part` for each span, its attributes, `endPart`; nothing else between.
   */
  beginRequest(
    resource: Resource,
    scope: InstrumentationScope,
    parts: number,
    t0: number,
    t1: number,
    t2: number,
    t3: number,
    s0: number,
    s1: number,
    flags: number,
  ): void {
    this.room(R_HEADER);
    const n = this.numbers;
    const i = this.at;
    n[i] = REQUEST;
    n[i + R_RESOURCE] = this.origins.resourceOf(resource);
    n[i + R_SCOPE] = this.origins.scopeOf(scope);
    n[i + R_TRACE_ID] = t0;
    n[i + R_TRACE_ID + 1] = t1;
    n[i + R_TRACE_ID + 2] = t2;
    n[i + R_TRACE_ID + 3] = t3;
    n[i + R_SERVER_ID] = s0;
    n[i + R_SERVER_ID + 1] = s1;
    n[i + R_SERVER_FLAGS] = flags;
    n[i + R_PARTS] = parts;
    this.at = i + R_HEADER;
    this.count += parts;
  }

  /**
   * One span of the record begun last, named `${first} ${second}` (looked up by its parts). `start`
   * and `end` are epoch ms; a client span's `end` is its length (P_START says why). `parent`:
   * PARENT_NONE, PARENT_SERVER, or PARENT_REMOTE with the remote span's id words and flags.
   */
  part(
    kind: number,
    first: string,
    second: string,
    s0: number,
    s1: number,
    flags: number,
    traceState: string | undefined,
    parent: number,
    p0: number,
    p1: number,
    parentFlags: number,
    start: number,
    end: number,
    status: number,
    message: string | undefined,
  ): void {
    this.room(P_FIELDS);
    const n = this.numbers;
    const i = this.at;
    this.head = i;
    n[i + P_KIND] = kind;
    n[i + P_NAME] = this.table.internJoined(first, second);
    n[i + P_ID] = s0;
    n[i + P_ID + 1] = s1;
    n[i + P_FLAGS] = flags;
    n[i + P_STATE] = traceState ? this.unique(traceState) : NONE;
    n[i + P_PARENT] = parent;
    n[i + P_PARENT_ID] = p0;
    n[i + P_PARENT_ID + 1] = p1;
    n[i + P_PARENT_FLAGS] = parentFlags;
    n[i + P_START] = start;
    n[i + P_END] = end;
    n[i + P_STATUS] = status;
    n[i + P_MESSAGE] = message ? this.shared(message) : NONE;
    this.at = i + P_FIELDS;
    this.attributes = 0;
  }

  /** Closes the part begun last (its attribute pairs follow it). */
  endPart(): void {
    this.numbers[this.head + P_ATTRIBUTES] = this.attributes;
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

  /** The batch so far, ready to post; the writer starts an empty one. */
  take(): SpanBatch {
    const { resources, scopes } = this.origins.take();
    const batch: SpanBatch = {
      spans: this.count,
      resources,
      scopes,
      table: this.table.take(),
      strings: JSON.stringify(this.strings),
      // The written part of the shared array itself: posted, it is neither copied nor moved.
      numbers: this.numbers.subarray(0, this.at),
    };
    this.numbers = this.spare.pop() ?? sharedNumbers(this.size);
    this.strings = [];
    this.at = 0;
    this.count = 0;
    return batch;
  }

  /** A batch taken may not have reached the thread: the next one sends the whole string table. */
  lost(): void {
    this.table.resend();
  }
}
