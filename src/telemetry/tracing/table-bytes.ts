import { isInt64, putBytes, putVarint, varintSize } from "./proto-writer.ts";
import { NUMBER, TYPES } from "./span-batch-layout.ts";

/**
 * The string table's strings as protobuf writes them (length prefix, then UTF-8), each encoded
 * the first time an export writes it and kept while the table lives: string-table.ts keeps one
 * table across batches (the export thread's mirror only grows it, and starts a new array for a
 * new generation), so an attribute key, a model or a route is encoded once, not once a batch.
 * All in one growing byte array: no object per string.
 */
export class TableBytes {
  bytes = new Uint8Array(16 * 1024);
  /** `bytes` as a DataView (putBytes copies from it). */
  view = new DataView(this.bytes.buffer);
  private end = 0;
  private offsets = new Int32Array(256).fill(-1);
  private lengths = new Int32Array(256);
  /**
   * Attribute groups' bytes (span-batch-layout.ts, `GROUP`), by the group's table index: each a
   * view of its own over `bytes`, so a span copies its group with one native `set` (a group is
   * a few whole attributes, some hundred bytes; putBytes' JavaScript loop took ~6 % more of a
   * batch's encoding, docs/BENCHMARKS-HISTORY.md, session 28). A group's bytes never change once
   * kept, and a view keeps them when `bytes` grows into a new array.
   */
  private readonly groups: (Uint8Array | undefined)[] = [];
  /**
   * Per attribute slot (key index × TYPES + value type, as a batch names it): the values last
   * written under it (a table index for a string, the number, 0 or 1) and those whole attributes
   * (the KeyValue with its tag and length), each in one of the slot's `WAYS` entries of
   * `PAIR_BYTES` in `pairBytes`. A slot's value nearly always repeats a recent one (the model,
   * the route, the status, the stream flag; a few models or routes taking turns), so the
   * attribute is one copy, not a key and a value found and their lengths worked out again and
   * the whole copied a second time into the slot. An entry is written over, oldest first, when
   * a value is not among them: a value that changes with every span costs a copy, never room. A
   * NUMBER slot uses its first entry only (`numberPairOffsetOf`). The entries are `WAYS` planes
   * of one entry a slot (slot `s`'s way `w` is entry `w × slots + s`), so the first ways of the
   * slots a span writes lie as close together as one entry a slot did.
   */
  private pairValues = new Float64Array(0);
  private pairLengths = new Int32Array(0);
  /** Per slot, its entry to write over next. */
  private pairNext = new Uint8Array(0);
  pairBytes = new Uint8Array(0);
  /** `pairBytes` as a DataView (putBytes copies from it). */
  pairView = new DataView(this.pairBytes.buffer);

  constructor(readonly table: readonly string[]) {}

  /** Where string `index`'s bytes are kept, or -1 when they are not (yet). */
  offsetOf(index: number): number {
    return index >= 0 && index < this.offsets.length ? (this.offsets[index] as number) : -1;
  }

  /** The kept string's length in bytes, its length prefix included. */
  lengthOf(index: number): number {
    return this.lengths[index] as number;
  }

  /**
   * Keeps `from[start, end)` as string `index`'s bytes, and says where. `remember` false (an index
   * past the table, written as "" as the library would): copied for this once, not remembered.
   */
  keep(index: number, remember: boolean, from: Uint8Array, start: number, end: number): number {
    const at = this.copy(from, start, end);
    if (!remember) return at;
    this.offsets = reaching(this.offsets, index, -1);
    this.lengths = reaching(this.lengths, index, 0);
    this.offsets[index] = at;
    this.lengths[index] = end - start;
    this.end = end - start + at;
    return at;
  }

  /** The attributes of the group at table index `index` as kept, or undefined. */
  groupOf(index: number): Uint8Array | undefined {
    return this.groups[index];
  }

  /** Keeps `from[start, end)` as the attributes of the group at table index `index`. */
  keepGroup(index: number, from: Uint8Array, start: number, end: number): void {
    const at = this.copy(from, start, end);
    this.end = end - start + at;
    this.groups[index] = this.bytes.subarray(at, this.end);
  }

  /** Where the attribute of `value` in `slot` is kept whole in `pairBytes`, or -1. */
  pairOffsetOf(slot: number, value: number): number {
    const slots = this.pairNext.length;
    if (slot >= slots) return -1;
    const values = this.pairValues;
    // The first way on its own: a repeat, the common case, costs what one entry a slot did.
    if (values[slot] === value) return slot * PAIR_BYTES;
    for (let entry = slot + slots; entry < values.length; entry += slots)
      if (values[entry] === value) return entry * PAIR_BYTES;
    return -1;
  }

  /**
   * `pairOffsetOf` for a NUMBER slot, whose value changes with nearly every span (tokens, cost,
   * time to first token): when the slot's kept attribute holds another number written in as many
   * bytes (an int_value of as many varint bytes, or a double_value), its value — the pair's last
   * bytes — is written over in place and the attribute is kept for `value`, so the span copies it
   * whole as it would a repeat. Its key, tags and lengths are the same bytes: only the encoder's
   * key lookup, and the second copy of the attribute into this slot (`keepPair`), are saved.
   */
  numberPairOffsetOf(slot: number, value: number): number {
    // The slot's first way, its only one (`keepPair`).
    if (slot >= this.pairNext.length) return -1;
    const kept = this.pairValues[slot] as number;
    const at = slot * PAIR_BYTES;
    if (kept === value) return at;
    // NaN: nothing kept in the slot.
    if (Number.isNaN(kept)) return -1;
    const end = at + (this.pairLengths[slot] as number);
    if (isInt64(value)) {
      const size = varintSize(value);
      if (!isInt64(kept) || varintSize(kept) !== size) return -1;
      putVarint(this.pairBytes, end - size, value);
    } else {
      if (isInt64(kept)) return -1;
      this.pairView.setFloat64(end - 8, value, true);
    }
    this.pairValues[slot] = value;
    return at;
  }

  /** The length in bytes of the attribute kept at `at` (as `pairOffsetOf` found it). */
  pairLengthAt(at: number): number {
    return this.pairLengths[at >> PAIR_SHIFT] as number;
  }

  /**
   * Keeps the bytes `from` views at [start, end) as the attribute of `value` in `slot`, in place
   * of the slot's oldest one (its only one for a NUMBER slot). Not kept past the first
   * `PAIR_KEYS` keys or longer than `PAIR_BYTES` (a long model name).
   */
  keepPair(slot: number, value: number, from: DataView, start: number, end: number): void {
    const length = end - start;
    if (slot >= PAIR_KEYS * TYPES || length > PAIR_BYTES) return;
    if (slot >= this.pairNext.length) this.reachPairs(slot);
    let entry = slot;
    if ((slot & (TYPES - 1)) !== NUMBER) {
      const way = this.pairNext[slot] as number;
      this.pairNext[slot] = (way + 1) & (WAYS - 1);
      entry += way * this.pairNext.length;
    }
    // No subarray made: a value that changes every span (tokens, cost) is kept every span.
    putBytes(this.pairView, entry * PAIR_BYTES, from, start, length);
    this.pairLengths[entry] = length;
    this.pairValues[entry] = value;
  }

  /** The pair slots grown to hold `slot` (twice as many at least); a new entry holds no value. */
  private reachPairs(slot: number): void {
    const was = this.pairNext.length;
    const slots = Math.min(PAIR_KEYS * TYPES, Math.max(was * 2, slot + 1, 32 * TYPES));
    const values = new Float64Array(slots * WAYS).fill(Number.NaN);
    const lengths = new Int32Array(slots * WAYS);
    const bytes = new Uint8Array(slots * WAYS * PAIR_BYTES);
    // Way by way, each way's entries at their slots.
    for (let way = 0; way < WAYS; way++) {
      values.set(this.pairValues.subarray(way * was, (way + 1) * was), way * slots);
      lengths.set(this.pairLengths.subarray(way * was, (way + 1) * was), way * slots);
      bytes.set(
        this.pairBytes.subarray(way * was * PAIR_BYTES, (way + 1) * was * PAIR_BYTES),
        way * slots * PAIR_BYTES,
      );
    }
    const next = new Uint8Array(slots);
    next.set(this.pairNext);
    this.pairValues = values;
    this.pairLengths = lengths;
    this.pairNext = next;
    this.pairBytes = bytes;
    this.pairView = new DataView(bytes.buffer);
  }

  /** `from[start, end)` copied after the kept bytes (the store grown when short); where it went. */
  private copy(from: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (this.end + length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.end + length));
      grown.set(this.bytes.subarray(0, this.end));
      this.bytes = grown;
      this.view = new DataView(grown.buffer);
    }
    this.bytes.set(from.subarray(start, end), this.end);
    return this.end;
  }
}

/** `array` itself when it has slot `index`, else a copy at least twice as long, new slots `fill`. */
function reaching(array: Int32Array<ArrayBuffer>, index: number, fill: number): Int32Array<ArrayBuffer> {
  if (index < array.length) return array;
  const grown = new Int32Array(Math.max(array.length * 2, index + 1)).fill(fill);
  grown.set(array);
  return grown;
}

/** Bytes a kept attribute may take (a key and a model name fit in it, as a rule). */
const PAIR_SHIFT = 7;
const PAIR_BYTES = 1 << PAIR_SHIFT;
/** Attributes kept a slot (a power of two): a gateway's few models or routes taking turns. */
const WAYS = 4;
/** Keys whose attributes are kept whole: the request spans' keys are the table's first (span-attributes.ts). */
const PAIR_KEYS = 64;

/** The last table's bytes: batches come with the same table (grown) until its generation ends. */
let lastTable: TableBytes | undefined;

export function tableBytesOf(table: readonly string[]): TableBytes {
  if (lastTable?.table !== table) lastTable = new TableBytes(table);
  return lastTable;
}
