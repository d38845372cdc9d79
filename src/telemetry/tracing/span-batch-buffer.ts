import type { AttributeValue } from "@opentelemetry/api";
import { type GroupWriter, RecentGroups } from "./attribute-groups.ts";
import { BatchOrigins } from "./batch-origins.ts";
import { OwnStringsWriter } from "./own-strings.ts";
import { ATTRIBUTE_KEYS, type AttributeKey, type AttributeTarget, RUNS } from "./span-attributes.ts";
import {
  type BatchMemory,
  BOOLEAN,
  BYTES,
  FIELDS,
  GROUP,
  JSON_VALUE,
  NUMBER,
  type SpanBatch,
  STRING,
  TEXT,
  TRACE_REQUEST_ID,
  TYPES,
  UNIQUE_LENGTH,
} from "./span-batch-layout.ts";
import { SpareMemories } from "./spare-memories.ts";
import { StringTable, type TableLimit } from "./string-table.ts";

/**
 * Batch numbers live in shared memory: posting a view of it to the export thread copies
 * nothing, where a plain array had to be sliced off the writer's and then transferred, which
 * Bun does at a cost near a copy (~100 µs a batch of 512 spans together, on the event loop).
 */
const sharedNumbers = (length: number) => new Float64Array(new SharedArrayBuffer(length * 8));
/** Own strings' bytes a new memory has room for, a span of the batch. */
const OWN_BYTES_A_SPAN = 32;

/**
 * The export batch being written (span-batch-layout.ts): its numbers in shared memory, its own
 * strings, the string table and the resources and scopes it names, and the attribute pairs of the
 * span being written. `take()` hands the batch over and starts another. The records written into
 * it are the subclasses' (request-record-writer.ts, span-batch.ts).
 */
export class SpanBatchBuffer {
  protected readonly origins = new BatchOrigins();
  /** Kept across batches: the thread mirrors it. Starts with the request spans' attribute keys. */
  protected readonly table: StringTable;
  private readonly strings: OwnStringsWriter;
  protected numbers: Float64Array;
  protected at = 0;
  /** Where the span being written starts, and its attributes so far. */
  protected head = 0;
  protected attributes = 0;
  /** For `setAttribute`: the SDK's `attributeValueLengthLimit` (none unless set). */
  valueLengthLimit = Number.POSITIVE_INFINITY;
  /** Spans in the current batch. */
  count = 0;
  /** Each run of attributes' groups (span-attributes.ts, `Run`), by its number. */
  private readonly groups = Array.from({ length: RUNS }, () => new RecentGroups<unknown, unknown, unknown>());

  /** Arrays whose batches the export thread has sent, for the next batches (`recycle`). */
  private readonly memories: SpareMemories<Float64Array>;

  /** `tableLimit`: see StringTable (tests lower it). */
  constructor(capacity: number, tableLimit?: TableLimit) {
    this.table = new StringTable(ATTRIBUTE_KEYS, tableLimit);
    this.memories = new SpareMemories(sharedNumbers, capacity * (FIELDS + 24));
    this.numbers = this.memories.next();
    // A caller's own request id (~40 bytes) every two spans, as a rule; one the gateway made is
    // written from the trace id (`TRACE_REQUEST_ID`) and takes none.
    this.strings = new OwnStringsWriter(capacity * OWN_BYTES_A_SPAN);
  }

  /**
   * A batch's memory once the export thread is done with it (its reply came): the next batch is
   * written into the same memory instead of new arrays (512 spans are ~200 KB; two kept).
   */
  recycle({ numbers, strings }: BatchMemory): void {
    this.memories.recycle(numbers);
    this.strings.recycle(strings);
  }

  /** A string that repeats (names, keys, enum-like values): its string-table index. */
  protected shared(value: string): number {
    return this.table.intern(value);
  }

  /** A string of this span's own (long values, trace state, extras): no lookup; its offset. */
  protected unique(value: string): number {
    return this.strings.add(value);
  }

  protected room(slots: number): void {
    if (this.at + slots <= this.numbers.length) return;
    const grown = this.memories.grown(Math.max(this.numbers.length * 2, this.at + slots));
    grown.set(this.numbers.subarray(0, this.at));
    this.numbers = grown;
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

  /**
   * `text(key, requestId)` for a request id that is `FRESH_ID_PREFIX` and the span's trace id in
   * hex (batch-request-trace.ts): written as `TRACE_REQUEST_ID`, its characters made on the
   * export thread, unless the value length limit would cut it.
   */
  traceRequestId(key: AttributeKey, requestId: string): void {
    if (requestId.length > this.valueLengthLimit) this.text(key, requestId);
    else this.pair(key.index * TYPES + TRACE_REQUEST_ID, 0);
  }

  number(key: AttributeKey, value: number): void {
    this.pair(key.index * TYPES + NUMBER, value);
  }

  flag(key: AttributeKey, value: boolean): void {
    this.pair(key.index * TYPES + BOOLEAN, value ? 1 : 0);
  }

  /**
   * `AttributeTarget.grouped`: the attributes `write` writes from `a`, `b`, `c`, as one GROUP pair
   * when the run `kind`'s groups know the three (attribute-groups.ts); else written one by one
   * and, when they can be, made a group for the spans after.
   */
  grouped<A, B, C>(kind: number, write: GroupWriter<AttributeTarget, A, B, C>, a: A, b: B, c: C): void {
    const groups = this.groups[kind] as RecentGroups<unknown, unknown, unknown>;
    const id = groups.find(this.table.currentGeneration, a, b, c);
    if (id >= 0) {
      this.pair(GROUP, id);
      return;
    }
    const start = this.at;
    write(this, a, b, c);
    const end = this.at;
    // Two pairs at least (one would save nothing), none of them the batch's own.
    if (end - start < 4) return;
    for (let k = start; k < end; k += 2) {
      const type = (this.numbers[k] as number) % TYPES;
      if (type !== STRING && type !== NUMBER && type !== BOOLEAN) return;
    }
    const group = this.table.internGroup(this.numbers, start, end);
    if (group >= 0) groups.keep(a, b, c, group);
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
    else this.pair(key * TYPES + STRING, this.table.internUnder(key, value));
  }

  /** An attribute of any value the SDK allows, its key a string-table index. */
  protected attribute(key: number, value: AttributeValue | null): void {
    if (typeof value === "string") this.stringPair(key, value);
    else if (typeof value === "number") this.pair(key * TYPES + NUMBER, value);
    else if (typeof value === "boolean") this.pair(key * TYPES + BOOLEAN, value ? 1 : 0);
    else if (value instanceof Uint8Array)
      this.pair(key * TYPES + BYTES, this.unique(JSON.stringify(Array.from(value))));
    else this.pair(key * TYPES + JSON_VALUE, this.unique(JSON.stringify(value)));
  }

  /** The batch so far, ready to post; the writer starts an empty one. */
  take(): SpanBatch {
    const { resources, scopes } = this.origins.take();
    const batch: SpanBatch = {
      spans: this.count,
      resources,
      scopes,
      table: this.table.take(),
      strings: this.strings.take(),
      // The written part of the shared array itself: posted, it is neither copied nor moved.
      numbers: this.numbers.subarray(0, this.at),
    };
    this.numbers = this.memories.next();
    this.at = 0;
    this.count = 0;
    return batch;
  }

  /** A batch taken may not have reached the thread: the next one sends the whole string table. */
  lost(): void {
    this.table.resend();
  }
}
