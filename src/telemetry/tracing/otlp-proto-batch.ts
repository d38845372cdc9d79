import type { InstrumentationScope } from "@opentelemetry/core";
import type { Resource } from "@opentelemetry/resources";
import type { SpanBatch } from "./span-batch.ts";
import { BATCH_FIELDS, BATCH_IDS, BATCH_NONE, BATCH_TYPES, BatchValueType } from "./span-batch.ts";

/**
 * OTLP/protobuf `ExportTraceServiceRequest` bytes straight from a span batch (span-batch.ts),
 * for the export thread. The OpenTelemetry exporter's own serialiser takes 3.7–4.9 µs a span
 * under Bun (two passes over SDK span objects; `bun bench/trace-floor.ts`), 7–10 µs a traced
 * request, more than the whole 5 % that tracing at sample ratio 1.0 may cost a request
 * (docs/BENCHMARKS.md); this writes the same bytes in one pass over flat numbers. Only what mindgw's spans carry is written here:
 * strings, numbers and booleans as attributes, no events, links or trace state. A batch with
 * anything else returns undefined and goes through the library's serialiser instead. A test
 * holds the bytes equal to the library's for the same spans.
 */
export function encodeSpanBatch(
  batch: Pick<SpanBatch, "strings" | "numbers">,
  table: readonly string[],
  resourceOf: (id: number) => Resource,
  scopeOf: (id: number) => InstrumentationScope,
): Uint8Array | undefined {
  const n = batch.numbers;
  const strings = JSON.parse(batch.strings) as string[];
  // Spans grouped by resource, then by scope, in order of first appearance (as the library).
  const groups = new Map<number, Map<number, number[]>>();
  for (let i = 0; i < n.length; ) {
    if (n[i + 5] !== BATCH_NONE || n[i + 20] !== BATCH_NONE) return undefined;
    const count = n[i + BATCH_FIELDS] as number;
    const end = i + BATCH_FIELDS + 1 + 2 * count;
    for (let a = i + BATCH_FIELDS + 1; a < end; a += 2) {
      const type = (n[a] as number) % BATCH_TYPES;
      if (
        type !== BatchValueType.STRING &&
        type !== BatchValueType.TEXT &&
        type !== BatchValueType.NUMBER &&
        type !== BatchValueType.BOOLEAN
      )
        return undefined;
    }
    const resource = n[i + 18] as number;
    const scope = n[i + 19] as number;
    let scopes = groups.get(resource);
    if (!scopes) {
      scopes = new Map();
      groups.set(resource, scopes);
    }
    const spans = scopes.get(scope);
    if (spans) spans.push(i);
    else scopes.set(scope, [i]);
    i = end;
  }
  const w = new Writer(table, strings, n.length * 8 + batch.strings.length * 2 + 1024);
  for (const [resourceId, scopes] of groups) {
    const resource = resourceOf(resourceId);
    w.tag(1, 2);
    const resourceSpans = w.open();
    w.tag(1, 2);
    const resourceMessage = w.open();
    w.attributes(resource.attributes, 1);
    w.tag(2, 0);
    w.varint(0);
    w.close(resourceMessage);
    for (const [scopeId, spans] of scopes) {
      const scope = scopeOf(scopeId);
      w.tag(2, 2);
      const scopeSpans = w.open();
      w.tag(1, 2);
      const scopeMessage = w.open();
      w.tag(1, 2);
      w.string(scope.name);
      if (scope.version) {
        w.tag(2, 2);
        w.string(scope.version);
      }
      w.close(scopeMessage);
      for (const at of spans) w.span(n, at);
      if (scope.schemaUrl) {
        w.tag(3, 2);
        w.string(scope.schemaUrl);
      }
      w.close(scopeSpans);
    }
    if (resource.schemaUrl) {
      w.tag(3, 2);
      w.string(resource.schemaUrl);
    }
    w.close(resourceSpans);
  }
  return w.finish();
}

const SPAN_FLAGS_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_IS_REMOTE = 0x200;
const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** A growable protobuf writer over the string table as of a batch, and the batch's own strings. */
class Writer {
  private buffer: Buffer;
  private view: DataView;
  private pos = 0;
  private readonly encoder = new TextEncoder();
  /** The table's strings as written (length and bytes), by index, once met. */
  private readonly encoded: (Uint8Array | undefined)[] = [];

  constructor(
    private readonly table: readonly string[],
    private readonly strings: readonly string[],
    size: number,
  ) {
    this.buffer = Buffer.allocUnsafe(size);
    this.view = new DataView(this.buffer.buffer, this.buffer.byteOffset, this.buffer.byteLength);
  }

  finish(): Uint8Array {
    return this.buffer.subarray(0, this.pos);
  }

  private room(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const grown = Buffer.allocUnsafe(size);
    grown.set(this.buffer.subarray(0, this.pos));
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  varint(value: number): void {
    this.room(10);
    const b = this.buffer;
    if (value >= 0 && value <= 0xffffffff) {
      let v = value >>> 0;
      while (v > 127) {
        b[this.pos++] = (v & 127) | 128;
        v >>>= 7;
      }
      b[this.pos++] = v;
      return;
    }
    // 64-bit two's complement, as the library writes it.
    const abs = Math.abs(value);
    let low = abs >>> 0;
    let high = (abs / 4294967296) >>> 0;
    if (value < 0) {
      low = ~low >>> 0;
      high = ~high >>> 0;
      low = (low + 1) >>> 0;
      if (low === 0) high = (high + 1) >>> 0;
    }
    while (high > 0 || low > 127) {
      b[this.pos++] = (low & 127) | 128;
      low = ((low >>> 7) | (high << 25)) >>> 0;
      high >>>= 7;
    }
    b[this.pos++] = low & 127;
  }

  /** A length-delimited field's start: one byte reserved for its length. */
  open(): number {
    this.room(1);
    return this.pos++;
  }

  /** Writes the length reserved at `start`, moving the content when it needs more bytes. */
  close(start: number): void {
    const length = this.pos - start - 1;
    let size = 1;
    for (let v = length >>> 7; v > 0; v >>>= 7) size++;
    if (size > 1) {
      this.room(size - 1);
      this.buffer.copyWithin(start + size, start + 1, this.pos);
      this.pos += size - 1;
    }
    let v = length;
    let at = start;
    while (v > 127) {
      this.buffer[at++] = (v & 127) | 128;
      v >>>= 7;
    }
    this.buffer[at] = v;
  }

  /** A string as UTF-8: ASCII (nearly every string here) copied as is, else encoded. */
  string(value: string): void {
    const length = value.length;
    let ascii = true;
    for (let i = 0; i < length; i++)
      if (value.charCodeAt(i) > 127) {
        ascii = false;
        break;
      }
    if (!ascii) {
      this.bytesOf(this.encoder.encode(value));
      return;
    }
    this.varint(length);
    this.room(length);
    const b = this.buffer;
    let at = this.pos;
    for (let i = 0; i < length; i++) b[at++] = value.charCodeAt(i);
    this.pos = at;
  }

  /**
   * A string of the string table, as its length and UTF-8 bytes: encoded once per batch and
   * copied after (an attribute key or a model is written hundreds of times a batch).
   */
  private tableString(index: number): void {
    let bytes = this.encoded[index];
    if (bytes === undefined) {
      const start = this.pos;
      this.string(this.table[index] ?? "");
      bytes = new Uint8Array(this.buffer.subarray(start, this.pos));
      this.encoded[index] = bytes;
      return;
    }
    const length = bytes.length;
    this.room(length);
    const b = this.buffer;
    let at = this.pos;
    for (let i = 0; i < length; i++) b[at++] = bytes[i] as number;
    this.pos = at;
  }

  private bytesOf(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.room(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** An id as its bytes, from the batch's 32-bit words (most significant first). */
  private id(n: Float64Array, at: number, words: number): void {
    this.varint(words * 4);
    this.room(words * 4);
    const b = this.buffer;
    let pos = this.pos;
    for (let w = 0; w < words; w++) {
      const value = n[at + w] as number;
      b[pos++] = value >>> 24;
      b[pos++] = (value >>> 16) & 255;
      b[pos++] = (value >>> 8) & 255;
      b[pos++] = value & 255;
    }
    this.pos = pos;
  }

  /** nanoseconds of an HrTime, as fixed64: the library's arithmetic, exact beyond 2^53. */
  private hrTime(seconds: number, nanos: number): void {
    const lower16 = (seconds & 0xffff) * 1e9;
    const upper = ((seconds / 65536) >>> 0) * 1e9;
    const low = (lower16 >>> 0) + (((upper & 0xffff) * 65536) >>> 0) + nanos;
    const high =
      (Math.floor(lower16 / 4294967296) + ((upper / 65536) >>> 0) + Math.floor(low / 4294967296)) >>> 0;
    this.fixed32(low >>> 0);
    this.fixed32(high);
  }

  private fixed32(value: number): void {
    this.room(4);
    this.view.setUint32(this.pos, value, true);
    this.pos += 4;
  }

  /** A resource's attributes (once per batch): any AnyValue, as the library writes it. */
  attributes(attributes: Readonly<Record<string, unknown>>, field: number): void {
    for (const key in attributes) {
      if (!Object.hasOwn(attributes, key)) continue;
      this.tag(field, 2);
      const kv = this.open();
      this.keyValue(key, attributes[key]);
      this.close(kv);
    }
  }

  private keyValue(key: string, value: unknown): void {
    this.tag(1, 2);
    this.string(key);
    this.tag(2, 2);
    const any = this.open();
    this.anyValue(value);
    this.close(any);
  }

  private anyValue(value: unknown): void {
    if (typeof value === "string") {
      this.tag(1, 2);
      this.string(value);
    } else if (typeof value === "boolean") {
      this.tag(2, 0);
      this.varint(value ? 1 : 0);
    } else if (typeof value === "number") this.number(value);
    else if (value instanceof Uint8Array) {
      this.tag(7, 2);
      this.bytesOf(value);
    } else if (Array.isArray(value)) {
      this.tag(5, 2);
      const array = this.open();
      for (const item of value) {
        this.tag(1, 2);
        const entry = this.open();
        this.anyValue(item);
        this.close(entry);
      }
      this.close(array);
    } else if (typeof value === "object" && value !== null) {
      this.tag(6, 2);
      const list = this.open();
      for (const key in value) {
        if (!Object.hasOwn(value, key)) continue;
        this.tag(1, 2);
        const kv = this.open();
        this.keyValue(key, (value as Record<string, unknown>)[key]);
        this.close(kv);
      }
      this.close(list);
    }
  }

  private number(value: number): void {
    if (Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64) {
      this.tag(3, 0);
      this.varint(value);
    } else {
      this.tag(4, 1);
      this.room(8);
      this.view.setFloat64(this.pos, value, true);
      this.pos += 8;
    }
  }

  /** One Span message from the batch's numbers at `i` (field numbers of trace.proto). */
  span(n: Float64Array, i: number): void {
    this.tag(2, 2);
    const span = this.open();
    this.tag(1, 2);
    this.id(n, i + BATCH_IDS.TRACE_ID, 4);
    this.tag(2, 2);
    this.id(n, i + BATCH_IDS.SPAN_ID, 2);
    if (n[i + 6] !== BATCH_NONE) {
      this.tag(4, 2);
      this.id(n, i + BATCH_IDS.PARENT_ID, 2);
    }
    this.tag(5, 2);
    this.tableString(n[i] as number);
    this.tag(6, 0);
    this.varint((n[i + 1] as number) + 1);
    this.tag(7, 1);
    this.hrTime(n[i + 9] as number, n[i + 10] as number);
    this.tag(8, 1);
    this.hrTime(n[i + 11] as number, n[i + 12] as number);
    const count = n[i + BATCH_FIELDS] as number;
    for (let a = i + BATCH_FIELDS + 1, end = a + 2 * count; a < end; a += 2) {
      const slot = n[a] as number;
      const type = slot % BATCH_TYPES;
      const value = n[a + 1] as number;
      this.tag(9, 2);
      const kv = this.open();
      this.tag(1, 2);
      this.tableString((slot - type) / BATCH_TYPES);
      this.tag(2, 2);
      const any = this.open();
      if (type === BatchValueType.STRING) {
        this.tag(1, 2);
        this.tableString(value);
      } else if (type === BatchValueType.TEXT) {
        this.tag(1, 2);
        this.string(this.strings[value] ?? "");
      } else if (type === BatchValueType.BOOLEAN) {
        this.tag(2, 0);
        this.varint(value);
      } else this.number(value);
      this.close(any);
      this.close(kv);
    }
    this.tag(10, 0);
    this.varint(n[i + 15] as number);
    this.tag(12, 0);
    this.varint(n[i + 16] as number);
    this.tag(14, 0);
    this.varint(n[i + 17] as number);
    this.tag(15, 2);
    const status = this.open();
    const message = n[i + 14] as number;
    if (message !== BATCH_NONE && this.table[message]) {
      this.tag(2, 2);
      this.tableString(message);
    }
    this.tag(3, 0);
    this.varint(n[i + 13] as number);
    this.close(status);
    this.tag(16, 5);
    this.fixed32(
      ((n[i + 4] as number) & 255) | SPAN_FLAGS_HAS_IS_REMOTE | (n[i + 8] === 1 ? SPAN_FLAGS_IS_REMOTE : 0),
    );
    this.close(span);
  }
}
