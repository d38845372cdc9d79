import {
  type Attributes,
  type AttributeValue,
  createTraceState,
  type Link,
  type SpanContext,
} from "@opentelemetry/api";
import { hrTimeDuration, type InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { ReadableSpan, TimedEvent } from "@opentelemetry/sdk-trace";

/**
 * Ended spans on their way to the export thread, as two flat arrays: numbers in a Float64Array
 * (handed over, not copied) and the strings they point at in one JSON array. Each span is
 * written the moment it ends, so the SDK's span object is garbage at once instead of waiting
 * in a queue for its batch, and no per-span object or tuple is built on the event loop. The
 * thread reads it back into ReadableSpans for the real OTLP exporter. Strings that repeat
 * (names, attribute keys, models, routes) appear once per batch.
 *
 * Per span: the fixed fields below, then `attributes` pairs of (key string × 8 + value type,
 * value). Events and links (mindgw makes none) travel as one JSON string.
 */
const FIELDS = 21;
const NONE = -1;
/** The layout, for the export thread's protobuf writer (otlp-proto-batch.ts). */
export const BATCH_FIELDS = FIELDS;
export const BATCH_NONE = NONE;
/**
 * Attribute value types: a string-table index, a number, a boolean, bytes (as a JSON array),
 * anything else (null, arrays, maps) as JSON.
 */
const STRING = 0;
const NUMBER = 1;
const BOOLEAN = 2;
const BYTES = 3;
const JSON_VALUE = 4;
const TYPES = 8;
export const BATCH_TYPES = TYPES;
export const BatchValueType = { STRING, NUMBER, BOOLEAN, BYTES, JSON_VALUE } as const;

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

/** One batch as the main thread posts it (`numbers` is transferred). */
export interface SpanBatch {
  readonly spans: number;
  readonly resources: readonly ResourceData[];
  readonly scopes: readonly ScopeData[];
  /** JSON array of the batch's strings. */
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

interface Extras {
  links?: readonly PlainLink[];
  events?: readonly TimedEvent[];
}

interface PlainLink {
  readonly context: PlainContext;
  readonly attributes?: Attributes;
  readonly droppedAttributesCount?: number;
}

interface PlainContext {
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
  private strings: string[] = [];
  private stringIds = new Map<string, number>();
  private numbers: Float64Array;
  private at = 0;
  /** Spans in the current batch. */
  count = 0;

  constructor(capacity: number) {
    this.numbers = new Float64Array(capacity * (FIELDS + 24));
  }

  /** A string that repeats (names, keys, enum-like values): one table entry per batch. */
  private shared(value: string): number {
    let id = this.stringIds.get(value);
    if (id === undefined) {
      id = this.strings.push(value) - 1;
      this.stringIds.set(value, id);
    }
    return id;
  }

  /** A string unique to its span (ids): no lookup. */
  private unique(value: string): number {
    return this.strings.push(value) - 1;
  }

  private room(slots: number): void {
    if (this.at + slots <= this.numbers.length) return;
    const grown = new Float64Array(Math.max(this.numbers.length * 2, this.at + slots));
    grown.set(this.numbers.subarray(0, this.at));
    this.numbers = grown;
  }

  add(span: ReadableSpan): void {
    const context = span.spanContext();
    const parent = span.parentSpanContext;
    this.room(FIELDS + 1);
    const n = this.numbers;
    let i = this.at;
    n[i++] = this.shared(span.name);
    n[i++] = span.kind;
    n[i++] = this.unique(context.traceId);
    n[i++] = this.unique(context.spanId);
    n[i++] = context.traceFlags;
    const traceState = context.traceState?.serialize();
    n[i++] = traceState ? this.unique(traceState) : NONE;
    n[i++] = parent?.spanId ? this.unique(parent.spanId) : NONE;
    n[i++] = parent?.traceFlags ?? 0;
    n[i++] = parent?.isRemote ? 1 : 0;
    n[i++] = span.startTime[0];
    n[i++] = span.startTime[1];
    n[i++] = span.endTime[0];
    n[i++] = span.endTime[1];
    n[i++] = span.status.code;
    n[i++] = span.status.message ? this.shared(span.status.message) : NONE;
    n[i++] = span.droppedAttributesCount;
    n[i++] = span.droppedEventsCount;
    n[i++] = span.droppedLinksCount;
    n[i++] = this.resourceOf(span.resource);
    n[i++] = this.scopeOf(span.instrumentationScope);
    n[i++] = this.extrasOf(span);
    const countAt = i;
    this.at = i + 1;
    let attributes = 0;
    for (const key in span.attributes) {
      const value = span.attributes[key];
      if (value === undefined) continue;
      this.room(2);
      const slot = this.shared(key) * TYPES;
      if (typeof value === "string") {
        this.numbers[this.at++] = slot + STRING;
        this.numbers[this.at++] = this.shared(value);
      } else if (typeof value === "number") {
        this.numbers[this.at++] = slot + NUMBER;
        this.numbers[this.at++] = value;
      } else if (typeof value === "boolean") {
        this.numbers[this.at++] = slot + BOOLEAN;
        this.numbers[this.at++] = value ? 1 : 0;
      } else if (value instanceof Uint8Array) {
        this.numbers[this.at++] = slot + BYTES;
        this.numbers[this.at++] = this.unique(JSON.stringify(Array.from(value)));
      } else {
        this.numbers[this.at++] = slot + JSON_VALUE;
        this.numbers[this.at++] = this.unique(JSON.stringify(value));
      }
      attributes++;
    }
    this.numbers[countAt] = attributes;
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
      strings: JSON.stringify(this.strings),
      numbers: this.numbers.slice(0, this.at),
    };
    this.resources = [];
    this.scopes = [];
    this.strings = [];
    this.stringIds = new Map();
    this.at = 0;
    this.count = 0;
    return batch;
  }
}

const spanContext = (plain: PlainContext): SpanContext => ({
  traceId: plain.traceId,
  spanId: plain.spanId,
  traceFlags: plain.traceFlags,
  ...(plain.isRemote !== undefined ? { isRemote: plain.isRemote } : {}),
  ...(plain.traceState ? { traceState: createTraceState(plain.traceState) } : {}),
});

/**
 * The export thread's side: a batch back into what an exporter reads. `resource` and `scope`
 * resolve the numbers the batch names them by (the thread keeps those it was sent).
 */
export function readSpanBatch(
  batch: Pick<SpanBatch, "strings" | "numbers">,
  resource: (id: number) => Resource,
  scope: (id: number) => InstrumentationScope,
): ReadableSpan[] {
  const strings = JSON.parse(batch.strings) as string[];
  const n = batch.numbers;
  const text = (i: number) => strings[n[i] as number] ?? "";
  const spans: ReadableSpan[] = [];
  let i = 0;
  while (i < n.length) {
    const traceId = text(i + 2);
    const context: SpanContext = { traceId, spanId: text(i + 3), traceFlags: n[i + 4] as number };
    if (n[i + 5] !== NONE) context.traceState = createTraceState(text(i + 5));
    const parentSpanContext: SpanContext | undefined =
      n[i + 6] === NONE
        ? undefined
        : {
            traceId,
            spanId: text(i + 6),
            traceFlags: n[i + 7] as number,
            isRemote: n[i + 8] === 1,
          };
    const startTime: [number, number] = [n[i + 9] as number, n[i + 10] as number];
    const endTime: [number, number] = [n[i + 11] as number, n[i + 12] as number];
    const statusCode = n[i + 13] as number;
    const extras: Extras = n[i + 20] === NONE ? {} : (JSON.parse(text(i + 20)) as Extras);
    const attributes: Attributes = {};
    const count = n[i + FIELDS] as number;
    let at = i + FIELDS + 1;
    for (let a = 0; a < count; a++, at += 2) {
      const slot = n[at] as number;
      const value = n[at + 1] as number;
      const type = slot % TYPES;
      const key = strings[(slot - type) / TYPES] ?? "";
      attributes[key] =
        type === STRING
          ? (strings[value] ?? "")
          : type === NUMBER
            ? value
            : type === BOOLEAN
              ? value === 1
              : type === BYTES
                ? (Uint8Array.from(
                    JSON.parse(strings[value] ?? "[]") as number[],
                  ) as unknown as AttributeValue)
                : (JSON.parse(strings[value] ?? "null") as AttributeValue);
    }
    spans.push({
      name: text(i),
      kind: n[i + 1] as number,
      spanContext: () => context,
      parentSpanContext,
      startTime,
      endTime,
      status: n[i + 14] === NONE ? { code: statusCode } : { code: statusCode, message: text(i + 14) },
      attributes,
      links: (extras.links ?? []).map(
        (link): Link => ({
          context: spanContext(link.context),
          ...(link.attributes ? { attributes: link.attributes } : {}),
          ...(link.droppedAttributesCount !== undefined
            ? { droppedAttributesCount: link.droppedAttributesCount }
            : {}),
        }),
      ),
      events: extras.events ? [...extras.events] : [],
      duration: hrTimeDuration(startTime, endTime),
      ended: true,
      resource: resource(n[i + 18] as number),
      instrumentationScope: scope(n[i + 19] as number),
      droppedAttributesCount: n[i + 15] as number,
      droppedEventsCount: n[i + 16] as number,
      droppedLinksCount: n[i + 17] as number,
    });
    i = at;
  }
  return spans;
}
