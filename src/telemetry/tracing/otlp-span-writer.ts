import { FRESH_ID_PREFIX } from "../../core/fresh-id-word.ts";
import { ownLength } from "./own-strings.ts";
import {
  isInt64,
  ProtoWriter,
  putBytes,
  putFixed32,
  putTime,
  putVarint,
  putWords,
  varintSize,
} from "./proto-writer.ts";
import {
  BOOLEAN,
  FIELDS,
  GROUP,
  NONE,
  NUMBER,
  PARENT_ID,
  SPAN_ID,
  STRING,
  TEXT,
  TRACE_ID,
  TRACE_REQUEST_ID,
  TYPES,
} from "./span-batch-layout.ts";
import { type TableBytes, tableBytesOf } from "./table-bytes.ts";

const PREFIX_BYTES = new TextEncoder().encode(FRESH_ID_PREFIX);
const HEX_DIGITS = new TextEncoder().encode("0123456789abcdef");
/** Each byte's two hex digits as one big-endian 16-bit number ("a7": 0x6137). */
const HEX_PAIRS = Uint16Array.from(
  { length: 256 },
  (_, byte) => ((HEX_DIGITS[byte >> 4] as number) << 8) | (HEX_DIGITS[byte & 15] as number),
);
/** A request id made of a trace id: its prefix and 32 hex digits (one byte of length in protobuf). */
const REQUEST_ID_LENGTH = PREFIX_BYTES.length + 32;
/** Bytes a span takes besides its name and attributes, at most (ids, times, counts, status, flags). */
const SPAN_FIXED = 128;
const SPAN_FLAGS_HAS_IS_REMOTE = 0x100;
const SPAN_FLAGS_IS_REMOTE = 0x200;
/** TYPES is 8: a slot's type is its low 3 bits, its key the rest. */
const TYPE_BITS = TYPES - 1;
const TYPE_SHIFT = Math.log2(TYPES);

/** The protobuf writer over the string table as of a batch, and the batch's own strings (own-strings.ts). */
export class SpanWriter extends ProtoWriter {
  private readonly known: TableBytes;
  /** `keptAt`'s string's length in bytes (its length prefix included). */
  private keptLength = 0;
  /** The batch's own strings as a DataView (putBytes copies from it). */
  private readonly stringsView: DataView;

  constructor(
    buffer: Uint8Array,
    private readonly table: readonly string[],
    private readonly strings: Uint8Array,
  ) {
    super(buffer, 0);
    this.known = tableBytesOf(table);
    this.stringsView = new DataView(strings.buffer, strings.byteOffset, strings.byteLength);
  }

  /**
   * Where the table string `index` is kept as protobuf writes it (length prefix, then UTF-8) in
   * `known.bytes`, its length in `keptLength`: encoded the first time it is met while the table
   * lives (TableBytes), found after that. May replace `buffer` (it encodes at `pos` first).
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
    return this.known.keep(index, index < this.table.length, this.buffer, start, end);
  }

  /**
   * One Span message (field numbers of trace.proto): its fixed fields and attribute count from
   * `n` at `i` (a span record's), its attribute pairs from `pairs` at `at` (after the count in a
   * span record; in place in a request record's part). False when an attribute's value is of a
   * kind left to the library's serialiser.
   */
  span(n: Float64Array, i: number, pairs: Float64Array, at: number): boolean {
    const nameAt = this.keptAt(n[i] as number);
    const nameLength = this.keptLength;
    // A trace state is one of the batch's own strings, as a TEXT value is (its offset an int32:
    // `attribute` says why).
    const state = n[i + 5] as number;
    const stateAt = state === NONE ? -1 : state | 0;
    const stateLength = stateAt < 0 ? 0 : ownLength(this.strings, stateAt);
    this.room(SPAN_FIXED + nameLength + stateLength);
    let b = this.buffer;
    let pos = this.pos;
    b[pos++] = 0x12; // ScopeSpans.spans
    const spanStart = pos;
    pos += 2;
    b[pos++] = 0x0a; // trace_id
    b[pos++] = 16;
    pos = putWords(this.view, pos, n, i + TRACE_ID, 4);
    b[pos++] = 0x12; // span_id
    b[pos++] = 8;
    pos = putWords(this.view, pos, n, i + SPAN_ID, 2);
    if (stateAt >= 0) {
      b[pos++] = 0x1a; // trace_state
      pos = putBytes(this.view, pos, this.stringsView, stateAt, stateLength);
    }
    if (n[i + 6] !== NONE) {
      b[pos++] = 0x22; // parent_span_id
      b[pos++] = 8;
      pos = putWords(this.view, pos, n, i + PARENT_ID, 2);
    }
    b[pos++] = 0x2a; // name
    pos = putBytes(this.view, pos, this.known.view, nameAt, nameLength);
    b[pos++] = 0x30; // kind
    pos = putVarint(b, pos, (n[i + 1] as number) + 1);
    b[pos++] = 0x39; // start_time_unix_nano
    pos = putTime(this.view, pos, n[i + 9] as number, n[i + 10] as number);
    b[pos++] = 0x41; // end_time_unix_nano
    pos = putTime(this.view, pos, n[i + 11] as number, n[i + 12] as number);
    const count = n[i + FIELDS] as number;
    this.pos = pos;
    for (let a = at, end = a + 2 * count; a < end; a += 2) {
      // key × TYPES + type, a small non-negative integer: bit operations, not a float modulo.
      const slot = (pairs[a] as number) | 0;
      const value = pairs[a + 1] as number;
      const type = slot & TYPE_BITS;
      if (type === TRACE_REQUEST_ID) this.traceRequestId(slot, n, i + TRACE_ID);
      else if (!(type === GROUP ? this.group(value) : this.attribute(slot, value))) return false;
    }
    pos = this.pos;
    const message = n[i + 14] as number;
    const messageAt = message !== NONE && this.table[message] ? this.keptAt(message) : -1;
    const messageLength = messageAt >= 0 ? this.keptLength : 0;
    this.room(SPAN_FIXED + messageLength);
    b = this.buffer;
    b[pos++] = 0x50; // dropped_attributes_count
    pos = putVarint(b, pos, n[i + 15] as number);
    b[pos++] = 0x60; // dropped_events_count
    pos = putVarint(b, pos, n[i + 16] as number);
    b[pos++] = 0x70; // dropped_links_count
    pos = putVarint(b, pos, n[i + 17] as number);
    const code = n[i + 13] as number;
    b[pos++] = 0x7a; // status
    pos = putVarint(b, pos, (messageAt >= 0 ? 1 + messageLength : 0) + 1 + varintSize(code));
    if (messageAt >= 0) {
      b[pos++] = 0x12; // Status.message
      pos = putBytes(this.view, pos, this.known.view, messageAt, messageLength);
    }
    b[pos++] = 0x18; // Status.code
    pos = putVarint(b, pos, code);
    b[pos++] = 0x85; // flags (field 16, fixed32)
    b[pos++] = 0x01;
    pos = putFixed32(
      this.view,
      pos,
      ((n[i + 4] as number) & 255) | SPAN_FLAGS_HAS_IS_REMOTE | (n[i + 8] === 1 ? SPAN_FLAGS_IS_REMOTE : 0),
    );
    this.pos = pos;
    this.closeWide(spanStart);
    return true;
  }

  /**
   * One attribute (a KeyValue, as `span` writes them) at `pos`: `slot` is key × TYPES + type,
   * `value` as the batch holds it. False for a kind left to the library's serialiser.
   */
  private attribute(slot: number, value: number): boolean {
    let pos = this.pos;
    const type = slot & TYPE_BITS;
    const key = slot >>> TYPE_SHIFT;
    // A TEXT value is an offset into this batch's own strings: never kept (table-bytes.ts).
    if (type !== TEXT) {
      const pairAt =
        type === NUMBER ? this.known.numberPairOffsetOf(slot, value) : this.known.pairOffsetOf(slot, value);
      if (pairAt >= 0) {
        const pairLength = this.known.pairLengthAt(pairAt);
        this.room(pairLength);
        this.pos = putBytes(this.view, pos, this.known.pairView, pairAt, pairLength);
        return true;
      }
    }
    const keyAt = this.keptAt(key);
    const keyLength = this.keptLength;
    let valueAt = 0;
    let valueLength = 0;
    let any: number;
    if (type === STRING) {
      valueAt = this.keptAt(value);
      valueLength = this.keptLength;
      any = 1 + valueLength;
    } else if (type === BOOLEAN) any = 2;
    else if (type === NUMBER) any = isInt64(value) ? 1 + varintSize(value) : 9;
    else if (type === TEXT) {
      // Its UTF-8 after its length: a string value's bytes as protobuf writes them. The offset
      // as an int32 (a Float64Array's slot is a double): a double reaching putBytes as its
      // start made JSC compile it for doubles at every call (+~90 µs a batch of 512 spans).
      valueAt = value | 0;
      valueLength = ownLength(this.strings, valueAt);
      any = 1 + valueLength;
    } else return false;
    const kvLength = 2 + keyLength + varintSize(any) + any;
    // Room for all of it and the varints' bytes: the buffer does not move below.
    this.room(kvLength + 16);
    const b = this.buffer;
    const pairStart = pos;
    b[pos++] = 0x4a; // attributes
    pos = putVarint(b, pos, kvLength);
    b[pos++] = 0x0a; // KeyValue.key
    pos = putBytes(this.view, pos, this.known.view, keyAt, keyLength);
    b[pos++] = 0x12; // KeyValue.value
    pos = putVarint(b, pos, any);
    if (type === STRING) {
      b[pos++] = 0x0a; // AnyValue.string_value
      pos = putBytes(this.view, pos, this.known.view, valueAt, valueLength);
    } else if (type === BOOLEAN) {
      b[pos++] = 0x10; // AnyValue.bool_value
      b[pos++] = value;
    } else if (type === NUMBER) {
      if (any === 9) {
        b[pos++] = 0x21; // AnyValue.double_value
        this.view.setFloat64(pos, value, true);
        pos += 8;
      } else {
        b[pos++] = 0x18; // AnyValue.int_value
        pos = putVarint(b, pos, value);
      }
    } else {
      b[pos++] = 0x0a; // AnyValue.string_value
      this.pos = putBytes(this.view, pos, this.stringsView, valueAt, valueLength);
      return true;
    }
    // Kept whole for the next span with this value in this slot (a key, and a string value,
    // of the table's: one past it would be another string once the table grows).
    if (key < this.table.length && (type !== STRING || value < this.table.length))
      this.known.keepPair(slot, value, this.view, pairStart, pos);
    this.pos = pos;
    return true;
  }

  /**
   * A `TRACE_REQUEST_ID` attribute in `slot` at `pos`: the bytes a TEXT value of
   * `FRESH_ID_PREFIX` and the trace id's hex digits (its words in `n` at `at`) would write. All
   * but the digits are the same every span: kept whole after the first (TableBytes' pairs).
   */
  private traceRequestId(slot: number, n: Float64Array, at: number): void {
    const known = this.known;
    const keptAt = known.pairOffsetOf(slot, 0);
    let pos = this.pos;
    if (keptAt >= 0) {
      const keptLength = known.pairLengthAt(keptAt);
      this.room(keptLength + 32);
      pos = putBytes(this.view, pos, known.pairView, keptAt, keptLength);
    } else {
      const keyAt = this.keptAt(slot >>> TYPE_SHIFT);
      const keyLength = this.keptLength;
      const any = 2 + REQUEST_ID_LENGTH;
      const kvLength = 2 + keyLength + 1 + any;
      this.room(kvLength + 8);
      const b = this.buffer;
      const start = pos;
      b[pos++] = 0x4a; // attributes
      pos = putVarint(b, pos, kvLength);
      b[pos++] = 0x0a; // KeyValue.key
      pos = putBytes(this.view, pos, known.view, keyAt, keyLength);
      b[pos++] = 0x12; // KeyValue.value
      b[pos++] = any;
      b[pos++] = 0x0a; // AnyValue.string_value
      b[pos++] = REQUEST_ID_LENGTH;
      b.set(PREFIX_BYTES, pos);
      pos += PREFIX_BYTES.length;
      known.keepPair(slot, 0, this.view, start, pos);
    }
    // Two digits a byte, most significant first.
    const view = this.view;
    for (let w = 0; w < 4; w++, pos += 8) {
      const word = n[at + w] as number;
      view.setUint16(pos, HEX_PAIRS[word >>> 24] as number);
      view.setUint16(pos + 2, HEX_PAIRS[(word >>> 16) & 255] as number);
      view.setUint16(pos + 4, HEX_PAIRS[(word >>> 8) & 255] as number);
      view.setUint16(pos + 6, HEX_PAIRS[word & 255] as number);
    }
    this.pos = pos;
  }

  /**
   * The attributes of the group at table index `index` (span-batch-layout.ts, `GROUP`) at `pos`:
   * written pair by pair the first time it is met while the table lives, and kept whole; copied
   * after that. The same bytes as its pairs written in its place.
   */
  private group(index: number): boolean {
    const known = this.known;
    const kept = known.groupOf(index);
    if (kept !== undefined) {
      this.room(kept.length);
      this.buffer.set(kept, this.pos);
      this.pos += kept.length;
      return true;
    }
    const pairs = JSON.parse(this.table[index] ?? "[]") as number[];
    const start = this.pos;
    for (let k = 0; k + 1 < pairs.length; k += 2)
      if (!this.attribute((pairs[k] as number) | 0, pairs[k + 1] as number)) return false;
    known.keepGroup(index, this.buffer, start, this.pos);
    return true;
  }

  /** Writes a span's length into the 2 bytes reserved (128–16383 bytes as a rule), else moves it. */
  private closeWide(start: number): void {
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
}
