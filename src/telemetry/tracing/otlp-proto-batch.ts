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
  let lastResource = Number.NaN;
  let lastScope = Number.NaN;
  let last: number[] = [];
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
    // Nearly every span has the last one's resource and scope: no lookup for it.
    if (resource !== lastResource || scope !== lastScope) {
      let scopes = groups.get(resource);
      if (!scopes) {
        scopes = new Map();
        groups.set(resource, scopes);
      }
      let spans = scopes.get(scope);
      if (!spans) {
        spans = [];
        scopes.set(scope, spans);
      }
      lastResource = resource;
      lastScope = scope;
      last = spans;
    }
    last.push(i);
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

/** A number the library writes as `int_value` (else `double_value`). */
const isInt64 = (value: number) => Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64;

/** Bytes of `varint(value)` for an integer: 10 for a negative one (64-bit two's complement). */
function varintSize(value: number): number {
  if (value < 0) return 10;
  let size = 1;
  for (let v = value; v >= 128; v = Math.floor(v / 128)) size++;
  return size;
}

/**
 * The string table's strings as protobuf writes them (length prefix, then UTF-8), each encoded
 * the first time an export writes it and kept while the table lives: string-table.ts keeps one
 * table across batches (the export thread's mirror only grows it, and starts a new array for a
 * new generation), so an attribute key, a model or a route is encoded once, not once a batch.
 * All in one growing byte array: no object per string.
 */
class TableBytes {
  bytes = new Uint8Array(16 * 1024);
  private end = 0;
  private offsets = new Int32Array(256).fill(-1);
  private lengths = new Int32Array(256);

  constructor(readonly table: readonly string[]) {}

  offsetOf(index: number): number {
    return index >= 0 && index < this.offsets.length ? (this.offsets[index] as number) : -1;
  }

  lengthOf(index: number): number {
    return this.lengths[index] as number;
  }

  /**
   * Keeps `from[start, end)` as string `index`'s bytes, and says where. `remember` false (an index
   * past the table, written as "" as the library would): copied for this once, not remembered.
   */
  keep(index: number, remember: boolean, from: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (this.end + length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.end + length));
      grown.set(this.bytes.subarray(0, this.end));
      this.bytes = grown;
    }
    const at = this.end;
    this.bytes.set(from.subarray(start, end), at);
    if (!remember) return at;
    if (index >= this.offsets.length) {
      const size = Math.max(this.offsets.length * 2, index + 1);
      const offsets = new Int32Array(size).fill(-1);
      offsets.set(this.offsets);
      const lengths = new Int32Array(size);
      lengths.set(this.lengths);
      this.offsets = offsets;
      this.lengths = lengths;
    }
    this.offsets[index] = at;
    this.lengths[index] = length;
    this.end = at + length;
    return at;
  }
}

/** The last table's bytes: batches come with the same table (grown) until its generation ends. */
let lastTable: TableBytes | undefined;
function tableBytesOf(table: readonly string[]): TableBytes {
  if (lastTable?.table !== table) lastTable = new TableBytes(table);
  return lastTable;
}

/** A growable protobuf writer over the string table as of a batch, and the batch's own strings. */
class Writer {
  private buffer: Buffer;
  private view: DataView;
  private pos = 0;
  private readonly encoder = new TextEncoder();
  private readonly known: TableBytes;

  constructor(
    private readonly table: readonly string[],
    private readonly strings: readonly string[],
    size: number,
  ) {
    this.known = tableBytesOf(table);
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

  /** A length-delimited field's start with two bytes reserved for its length (a span's: 128–16383 bytes as a rule). */
  openWide(): number {
    this.room(2);
    const start = this.pos;
    this.pos += 2;
    return start;
  }

  /** Writes the length reserved by `openWide`, moving the content only when it takes other than 2 bytes. */
  closeWide(start: number): void {
    const length = this.pos - start - 2;
    if (length >= 128 && length < 16384) {
      this.buffer[start] = (length & 127) | 128;
      this.buffer[start + 1] = length >>> 7;
      return;
    }
    // Back to one reserved byte, then as `close`.
    this.buffer.copyWithin(start + 1, start + 2, this.pos);
    this.pos--;
    this.close(start);
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

  /** `keptAt`'s string's length in bytes (its length prefix included). */
  private keptLength = 0;

  /**
   * Where the table string `index` is kept as protobuf writes it (length prefix, then UTF-8) in
   * `known.bytes`, its length in `keptLength`: encoded the first time it is met while the table
   * lives (TableBytes), found after that.
   */
  private keptAt(index: number): number {
    const known = this.known;
    const at = known.offsetOf(index);
    if (at >= 0) {
      this.keptLength = known.lengthOf(index);
      return at;
    }
    // Encoded where the output goes next, kept, and the output left as it was.
    const start = this.pos;
    this.string(this.table[index] ?? "");
    const end = this.pos;
    this.pos = start;
    this.keptLength = end - start;
    return known.keep(index, index < this.table.length, this.buffer, start, end);
  }

  /** A string of the string table, as its length and UTF-8 bytes. */
  private tableString(index: number): void {
    const from = this.keptAt(index);
    const length = this.keptLength;
    this.room(length);
    this.copyKept(from, length);
  }

  /** `length` bytes from `known.bytes` at `from` to the output (room already made). */
  private copyKept(from: number, length: number): void {
    const b = this.buffer;
    const bytes = this.known.bytes;
    let at = this.pos;
    for (let i = from, end = from + length; i < end; i++) b[at++] = bytes[i] as number;
    this.pos = at;
  }

  /**
   * One attribute KeyValue of a span, its lengths worked out before it is written (no length
   * reserved and moved): the key and a table string value are copied as kept. A value of the
   * batch's own (`TEXT`) goes the general way.
   */
  private attribute(key: number, type: number, value: number): void {
    const keyAt = this.keptAt(key);
    const keyLength = this.keptLength;
    let valueAt = 0;
    let valueLength = 0;
    let any: number;
    if (type === BatchValueType.STRING) {
      valueAt = this.keptAt(value);
      valueLength = this.keptLength;
      any = 1 + valueLength;
    } else if (type === BatchValueType.BOOLEAN) any = 2;
    else if (type === BatchValueType.NUMBER) any = isInt64(value) ? 1 + varintSize(value) : 9;
    else {
      this.tag(9, 2);
      const kv = this.open();
      this.tag(1, 2);
      this.room(keyLength);
      this.copyKept(keyAt, keyLength);
      this.tag(2, 2);
      const anyStart = this.open();
      this.tag(1, 2);
      this.string(this.strings[value] ?? "");
      this.close(anyStart);
      this.close(kv);
      return;
    }
    const kvLength = 2 + keyLength + varintSize(any) + any;
    // Room for all of it and the 10 bytes a varint asks for: the buffer does not move below.
    this.room(kvLength + 16);
    const b = this.buffer;
    b[this.pos++] = 0x4a; // field 9 (attributes), length-delimited
    this.varint(kvLength);
    b[this.pos++] = 0x0a; // KeyValue.key
    this.copyKept(keyAt, keyLength);
    b[this.pos++] = 0x12; // KeyValue.value
    this.varint(any);
    if (type === BatchValueType.STRING) {
      b[this.pos++] = 0x0a; // AnyValue.string_value
      this.copyKept(valueAt, valueLength);
    } else if (type === BatchValueType.BOOLEAN) {
      b[this.pos++] = 0x10; // AnyValue.bool_value
      b[this.pos++] = value;
    } else this.number(value);
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
    if (isInt64(value)) {
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
    const span = this.openWide();
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
      this.attribute((slot - type) / BATCH_TYPES, type, value);
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
    this.closeWide(span);
  }
}
