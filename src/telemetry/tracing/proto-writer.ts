/**
 * A growable protobuf writer, and the byte-level helpers the span writer (otlp-proto-batch.ts)
 * uses on its hot path. The helpers take the buffer and a position and return the new position:
 * a span is written with both in locals, not read and written back through an object field per
 * byte (the first writer did that, ~1 µs a span).
 */

const MIN_INT64 = -(2 ** 63);
const MAX_INT64 = 2 ** 63;

/** A number the library writes as `int_value` (else `double_value`). */
export const isInt64 = (value: number) => Number.isInteger(value) && value >= MIN_INT64 && value < MAX_INT64;

/** Bytes of `varint(value)` for an integer: 10 for a negative one (64-bit two's complement). */
export function varintSize(value: number): number {
  if (value < 0) return 10;
  if (value < 128) return 1;
  if (value < 16384) return 2;
  let size = 3;
  for (let v = Math.floor(value / 2097152); v > 0; v = Math.floor(v / 128)) size++;
  return size;
}

/** `value` as a varint at `pos` (room made by the caller: up to 10 bytes); the position after it. */
export function putVarint(b: Uint8Array, pos: number, value: number): number {
  if (value >= 0 && value <= 0xffffffff) {
    let v = value >>> 0;
    while (v > 127) {
      b[pos++] = (v & 127) | 128;
      v >>>= 7;
    }
    b[pos++] = v;
    return pos;
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
    b[pos++] = (low & 127) | 128;
    low = ((low >>> 7) | (high << 25)) >>> 0;
    high >>>= 7;
  }
  b[pos++] = low & 127;
  return pos;
}

/**
 * `length` bytes at `start` of the array `from` views, copied to the one `to` views at `pos`.
 * Short strings (keys, values, names, whole attributes): a loop beats a native call (`set` of a
 * subarray measured slower), and through DataViews four bytes are one load and one store, where a
 * byte array's loop made four of each (`bench/trace-encode.ts`: −15 to −18 % a batch).
 */
export function putBytes(to: DataView, pos: number, from: DataView, start: number, length: number): number {
  let i = start;
  const words = start + (length & ~3);
  for (; i < words; i += 4, pos += 4) to.setUint32(pos, from.getUint32(i, true), true);
  for (const end = start + length; i < end; i++, pos++) to.setUint8(pos, from.getUint8(i));
  return pos;
}

/** `value` as fixed32, little-endian. */
export function putFixed32(to: DataView, pos: number, value: number): number {
  to.setUint32(pos, value >>> 0, true);
  return pos + 4;
}

/**
 * Nanoseconds of an HrTime (`seconds` × 1e9 + `nanos`) as fixed64, exact beyond 2^53 as the
 * library writes them. Written as four 16-bit pieces, each sum well within int32: the general
 * arithmetic (`putTimeExact`) crosses 2^31 at random (a time's low bits), so the JIT's int32
 * guesses there failed, ~100 deoptimisations at each of two sites before the span writer was
 * compiled again, in every export thread's first seconds (`BUN_JSC_printEachOSRExit=1`,
 * docs/BENCHMARKS-HISTORY.md, session 28). `seconds` × 1e9 changes once a second: its pieces are
 * worked out then, with BigInt. A time of another kind (negative, fractional) takes the general
 * arithmetic.
 */
export function putTime(to: DataView, pos: number, seconds: number, nanos: number): number {
  const at = secondsPieces(seconds);
  if (at < 0 || (nanos | 0) !== nanos || nanos < 0) return putTimeExact(to, pos, seconds, nanos);
  let sum = (pieces[at] as number) + (nanos & 0xffff);
  to.setUint16(pos, sum & 0xffff, true);
  sum = (pieces[at + 1] as number) + (nanos >>> 16) + (sum >>> 16);
  to.setUint16(pos + 2, sum & 0xffff, true);
  sum = (pieces[at + 2] as number) + (sum >>> 16);
  to.setUint16(pos + 4, sum & 0xffff, true);
  sum = (pieces[at + 3] as number) + (sum >>> 16);
  to.setUint16(pos + 6, sum & 0xffff, true);
  return pos + 8;
}

/**
 * `seconds` × 1e9 as four 16-bit pieces (least significant first), kept for the last second met
 * in each of SECONDS_KEPT slots (a second's slot: its low bits): where they are in `pieces`, or -1
 * for seconds that are not a whole number ≥ 0. A batch's spans end within a few ms of each other
 * but start as long before as their requests took: a stream's server span, seconds before its
 * end. With two slots (odd and even seconds) every start in a second of the current one's parity
 * put it out, and the next span's end missed too: each miss a BigInt product, ~0.6 µs of the
 * export thread (bench/trace-micro.ts, whose attempts are dated ahead of their requests, missed a
 * quarter of its times). 64 keep every second of the last minute.
 */
const SECONDS_KEPT = 64;
const piecesSeconds = new Float64Array(SECONDS_KEPT).fill(Number.NaN);
const pieces = new Int32Array(SECONDS_KEPT * 4);
function secondsPieces(seconds: number): number {
  const slot = seconds & (SECONDS_KEPT - 1);
  if (piecesSeconds[slot] === seconds) return slot * 4;
  if (!(Number.isInteger(seconds) && seconds >= 0)) return -1;
  const product = BigInt.asUintN(64, BigInt(seconds) * 1_000_000_000n);
  for (let k = 0; k < 4; k++) pieces[slot * 4 + k] = Number((product >> BigInt(16 * k)) & 0xffffn);
  piecesSeconds[slot] = seconds;
  return slot * 4;
}

/** `putTime`'s general case: the library's arithmetic in doubles. */
function putTimeExact(to: DataView, pos: number, seconds: number, nanos: number): number {
  const lower16 = (seconds & 0xffff) * 1e9;
  const upper = ((seconds / 65536) >>> 0) * 1e9;
  const low = (lower16 >>> 0) + (((upper & 0xffff) * 65536) >>> 0) + nanos;
  const high =
    (Math.floor(lower16 / 4294967296) + ((upper / 65536) >>> 0) + Math.floor(low / 4294967296)) >>> 0;
  return putFixed32(to, putFixed32(to, pos, low >>> 0), high);
}

/** An id as its bytes, from the batch's 32-bit words (most significant first). */
export function putWords(to: DataView, pos: number, n: Float64Array, at: number, words: number): number {
  for (let w = 0; w < words; w++, pos += 4) to.setUint32(pos, n[at + w] as number);
  return pos;
}

/** Whether every character of `value` is ASCII (its UTF-8 is its char codes). */
export function isAscii(value: string): boolean {
  for (let i = 0; i < value.length; i++) if (value.charCodeAt(i) > 127) return false;
  return true;
}

/** The general writer: the once-a-batch parts (resource, scope) and growing the buffer. */
export class ProtoWriter {
  buffer: Uint8Array;
  view: DataView;
  pos: number;
  private readonly encoder = new TextEncoder();

  constructor(buffer: Uint8Array, pos: number) {
    this.buffer = buffer;
    this.view = new DataView(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    this.pos = pos;
  }

  /**
   * Room for `bytes` more at `pos`: the buffer is replaced (and `buffer`, `view` with it) when short,
   * by one with as many bytes in front of it as it had in its own memory: an export's request
   * head is written there (encode-buffers.ts `HEAD_ROOM`), else its whole body is copied after it.
   */
  room(bytes: number): void {
    if (this.pos + bytes <= this.buffer.length) return;
    let size = this.buffer.length * 2;
    while (size < this.pos + bytes) size *= 2;
    const front = this.buffer.byteOffset;
    const grown = new Uint8Array(front + size).subarray(front);
    grown.set(this.buffer.subarray(0, this.pos));
    this.buffer = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  tag(field: number, wireType: number): void {
    this.varint((field << 3) | wireType);
  }

  varint(value: number): void {
    this.room(10);
    this.pos = putVarint(this.buffer, this.pos, value);
  }

  /** A length-delimited field's start: one byte reserved for its length. */
  open(): number {
    this.room(1);
    return this.pos++;
  }

  /** Writes the length reserved at `start`, moving the content when it needs more bytes. */
  close(start: number): void {
    const length = this.pos - start - 1;
    const size = varintSize(length);
    if (size > 1) {
      this.room(size - 1);
      this.buffer.copyWithin(start + size, start + 1, this.pos);
      this.pos += size - 1;
    }
    putVarint(this.buffer, start, length);
  }

  /** A string as UTF-8: ASCII (nearly every string here) copied as is, else encoded. */
  string(value: string): void {
    if (!isAscii(value)) {
      this.bytes(this.encoder.encode(value));
      return;
    }
    const length = value.length;
    this.varint(length);
    this.room(length);
    const b = this.buffer;
    let at = this.pos;
    for (let i = 0; i < length; i++) b[at++] = value.charCodeAt(i);
    this.pos = at;
  }

  bytes(bytes: Uint8Array): void {
    this.varint(bytes.length);
    this.room(bytes.length);
    this.buffer.set(bytes, this.pos);
    this.pos += bytes.length;
  }

  /** Attributes as KeyValues in field `field`: any AnyValue, as the library writes it. */
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
      this.bytes(value);
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

  /** An AnyValue's number: `int_value` or `double_value`, as the library chooses. */
  number(value: number): void {
    this.room(11);
    if (isInt64(value)) {
      this.buffer[this.pos++] = 0x18;
      this.pos = putVarint(this.buffer, this.pos, value);
    } else {
      this.buffer[this.pos++] = 0x21;
      this.view.setFloat64(this.pos, value, true);
      this.pos += 8;
    }
  }
}
