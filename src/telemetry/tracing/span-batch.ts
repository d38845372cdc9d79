import type { Attributes, AttributeValue, SpanContext } from "@opentelemetry/api";
import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";
import { hexWord } from "./id-generator.ts";
import { ATTRIBUTE_KEYS, type AttributeKey } from "./span-attributes.ts";
import { StringTable, type TableLimit, type TableUpdate } from "./string-table.ts";

/**
 * Ended spans on their way to the export thread, as flat numbers in a Float64Array (shared
 * memory, posted without a copy) and the strings they point at. Each span is written the moment
 * it ends, so the SDK's span object is garbage at once instead of waiting in a queue for its
 * batch, and no per-span object or tuple is built on the event loop. The thread reads it back
 * (read-span-batch.ts) into ReadableSpans, or writes OTLP straight from it (otlp-proto-batch.ts).
 * Strings that repeat (names, attribute keys, models, routes, short values) are indices into a
 * string table kept across batches and mirrored by the thread (string-table.ts); a batch sends
 * only the table's new strings. Strings of one span (long values: request ids, content; trace
 * states, events and links) are the batch's own, in `strings`.
 *
 * Per span: the fixed fields below, then `attributes` pairs of (key string × 8 + value type,
 * value). Events and links (mindgw makes none) travel as one JSON string. The trace, span and
 * parent span ids travel as 32-bit words (slots 21–28; slots 2 and 3 are unused, slot 6 says
 * whether there is a parent), not strings: they were most of the string table, parsed and
 * hex-decoded again on the export thread.
 */
const FIELDS = 29;
const NONE = -1;
const TRACE_ID = 21;
const SPAN_ID = 25;
const PARENT_ID = 27;
/** The layout, for the export thread's protobuf writer (otlp-proto-batch.ts). */
export const BATCH_FIELDS = FIELDS;
export const BATCH_NONE = NONE;
export const BATCH_IDS = { TRACE_ID, SPAN_ID, PARENT_ID } as const;

/**
 * Batch numbers live in shared memory: posting a view of it to the export thread copies
 * nothing, where a plain array had to be sliced off the writer's and then transferred, which
 * Bun does at a cost near a copy (~100 µs a batch of 512 spans together, on the event loop).
 */
const sharedNumbers = (length: number) => new Float64Array(new SharedArrayBuffer(length * 8));

/**
 * Attribute value types: a string-table index, a number, a boolean, bytes (as a JSON array of
 * the batch's own strings), anything else (null, arrays, maps) as JSON, a string of the batch's
 * own (`TEXT`). Keys are always string-table indices.
 */
const STRING = 0;
const NUMBER = 1;
const BOOLEAN = 2;
const BYTES = 3;
const JSON_VALUE = 4;
const TEXT = 5;
const TYPES = 8;
/** String values this long or longer are the batch's own, not looked up in the table (`attribute`). */
const UNIQUE_LENGTH = 32;
export const BATCH_TYPES = TYPES;
export const BatchValueType = { STRING, NUMBER, BOOLEAN, BYTES, JSON_VALUE, TEXT } as const;

/** A resource as plain data; sent once, then named by its number. */
export interface ResourceData {
  readonly id: number;
  readonly attributes: Attributes;
  readonly schemaUrl: string | undefined;
}

export interface ScopeData {
  readonly id: number;
  readonly scope: InstrumentationScope;
}

/**
 * One batch as the main thread posts it (`numbers` is a view of shared memory). Slots 0 (name)
 * and 14 (status message), attribute keys and `STRING` values index the string table; slots 5
 * (trace state) and 20 (events and links), `TEXT`, `BYTES` and `JSON_VALUE` values index `strings`.
 */
export interface SpanBatch {
  readonly spans: number;
  readonly resources: readonly ResourceData[];
  readonly scopes: readonly ScopeData[];
  /** What the thread's copy of the string table needs to read this batch. */
  readonly table: TableUpdate;
  /** JSON array of the batch's own strings. */
  readonly strings: string;
  readonly numbers: Float64Array;
}

/** Main thread → export thread. */
export type ExportThreadRequest =
  | ({ readonly op: "export"; readonly id: number } & SpanBatch)
  | { readonly op: "flush" | "shutdown"; readonly id: number };

/** Export thread → main thread: one reply per request, by id. */
export interface ExportThreadReply {
  readonly id: number;
  readonly ok: boolean;
  readonly error?: string;
}

export interface Extras {
  links?: readonly PlainLink[];
  events?: readonly TimedEvent[];
}

interface PlainLink {
  readonly context: PlainContext;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

export interface PlainContext {
  readonly traceId: string;
  readonly spanId: string;
  readonly traceFlags: number;
  readonly isRemote?: boolean | undefined;
  readonly traceState?: string | undefined;
}

const plainContext = (context: SpanContext): PlainContext => ({
  traceId: context.traceId,
  spanId: context.spanId,
  traceFlags: context.traceFlags,
  isRemote: context.isRemote,
  traceState: context.traceState?.serialize(),
});

/** Writes ended spans into the current batch; `take()` hands the batch over and starts another. */
export class SpanBatchWriter {
  private readonly resourceIds = new WeakMap<Resource, number>();
  private readonly scopeIds = new Map<string, number>();
  /** The same scope object (one per tracer) is looked up by identity first. */
  private readonly scopeObjects = new WeakMap<InstrumentationScope, number>();
  private nextId = 0;
  private resources: ResourceData[] = [];
  private scopes: ScopeData[] = [];
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

  /** `begin` for a span named `${first} ${second}` (operation and model), looked up by its parts. */
  beginJoined(
    first: string,
    second: string,
    kind: number,
    resource: Resource,
    scope: InstrumentationScope,
  ): void {
    this.start(this.table.internJoined(first, second), kind, resource, scope);
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
    n[i + 18] = this.resourceOf(resource);
    n[i + 19] = this.scopeOf(scope);
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

  /**
   * `context` with the trace id (`t0`–`t3`) and span id (`s0`, `s1`) as their 32-bit words, most
   * significant first: how batch-request-trace.ts writes them, from the id generator's bytes.
   */
  contextWords(
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
  parentWords(s0: number, s1: number, traceFlags: number, isRemote: boolean): void {
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
    this.attribute(this.shared(key), this.cut(value));
  }

  /**
   * `setAttribute` for one of the request spans' keys (span-attributes.ts): written by its
   * position, since the string table starts with ATTRIBUTE_KEYS in every generation.
   */
  set(key: AttributeKey, value: string | number | boolean): void {
    this.attribute(key.index, this.cut(value));
  }

  private cut(value: string | number | boolean): string | number | boolean {
    const length = this.valueLengthLimit;
    return typeof value === "string" && value.length > length ? value.substring(0, length) : value;
  }

  private attribute(key: number, value: AttributeValue | null): void {
    this.room(2);
    const n = this.numbers;
    const slot = key * TYPES;
    if (typeof value === "string") {
      // A long value is nearly always the request's own (a request id, content): written
      // straight, not looked up and added to the table of repeating strings.
      if (value.length >= UNIQUE_LENGTH) {
        n[this.at++] = slot + TEXT;
        n[this.at++] = this.unique(value);
      } else {
        n[this.at++] = slot + STRING;
        n[this.at++] = this.shared(value);
      }
    } else if (typeof value === "number") {
      n[this.at++] = slot + NUMBER;
      n[this.at++] = value;
    } else if (typeof value === "boolean") {
      n[this.at++] = slot + BOOLEAN;
      n[this.at++] = value ? 1 : 0;
    } else if (value instanceof Uint8Array) {
      n[this.at++] = slot + BYTES;
      n[this.at++] = this.unique(JSON.stringify(Array.from(value)));
    } else {
      n[this.at++] = slot + JSON_VALUE;
      n[this.at++] = this.unique(JSON.stringify(value));
    }
    this.attributes++;
  }

  /** Closes the span record begun last; `dropped`: attributes the SDK dropped. */
  end(dropped = 0): void {
    this.numbers[this.head + 15] = dropped;
    this.numbers[this.head + FIELDS] = this.attributes;
    this.count++;
  }

  private resourceOf(resource: Resource): number {
    let id = this.resourceIds.get(resource);
    if (id === undefined) {
      id = ++this.nextId;
      this.resourceIds.set(resource, id);
      this.resources.push({ id, attributes: resource.attributes, schemaUrl: resource.schemaUrl });
    }
    return id;
  }

  private scopeOf(s: InstrumentationScope): number {
    const known = this.scopeObjects.get(s);
    if (known !== undefined) return known;
    const key = `${s.name}@${s.version ?? ""}:${s.schemaUrl ?? ""}`;
    let id = this.scopeIds.get(key);
    if (id === undefined) {
      id = ++this.nextId;
      this.scopeIds.set(key, id);
      this.scopes.push({ id, scope: { name: s.name, version: s.version, schemaUrl: s.schemaUrl } });
    }
    this.scopeObjects.set(s, id);
    return id;
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
    const batch: SpanBatch = {
      spans: this.count,
      resources: this.resources,
      scopes: this.scopes,
      table: this.table.take(),
      strings: JSON.stringify(this.strings),
      // The written part of the shared array itself: posted, it is neither copied nor moved.
      numbers: this.numbers.subarray(0, this.at),
    };
    this.numbers = this.spare.pop() ?? sharedNumbers(this.size);
    this.resources = [];
    this.scopes = [];
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
