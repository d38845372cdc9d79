/**
 * The string table's strings as protobuf writes them (length prefix, then UTF-8), each encoded
 * the first time an export writes it and kept while the table lives: string-table.ts keeps one
 * table across batches (the export thread's mirror only grows it, and starts a new array for a
 * new generation), so an attribute key, a model or a route is encoded once, not once a batch.
 * All in one growing byte array: no object per string.
 */
export class TableBytes {
  bytes = new Uint8Array(16 * 1024);
  private end = 0;
  private offsets = new Int32Array(256).fill(-1);
  private lengths = new Int32Array(256);
  /**
   * Per attribute key (by index): the string value last written under it, and where that whole
   * attribute (the KeyValue with its tag and length) is kept. A key's value nearly always repeats
   * from one span to the next (the model, the route, the front door), so the attribute is one
   * copy, not two strings found and four lengths worked out again.
   */
  private pairValues = new Int32Array(64).fill(-1);
  private pairOffsets = new Int32Array(64);
  private pairLengths = new Int32Array(64);

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

  /** Where the attribute of table string `value` under table key `key` is kept whole, or -1. */
  pairOffsetOf(key: number, value: number): number {
    return key < this.pairValues.length && this.pairValues[key] === value
      ? (this.pairOffsets[key] as number)
      : -1;
  }

  /** The kept attribute's length in bytes (`pairOffsetOf` found it). */
  pairLengthOf(key: number): number {
    return this.pairLengths[key] as number;
  }

  /** Keeps `from[start, end)` as the attribute of table string `value` under table key `key`. */
  keepPair(key: number, value: number, from: Uint8Array, start: number, end: number): void {
    this.pairValues = reaching(this.pairValues, key, -1);
    this.pairOffsets = reaching(this.pairOffsets, key, 0);
    this.pairLengths = reaching(this.pairLengths, key, 0);
    this.pairOffsets[key] = this.copy(from, start, end);
    this.pairLengths[key] = end - start;
    this.pairValues[key] = value;
    this.end += end - start;
  }

  /** `from[start, end)` copied after the kept bytes (the store grown when short); where it went. */
  private copy(from: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if (this.end + length > this.bytes.length) {
      const grown = new Uint8Array(Math.max(this.bytes.length * 2, this.end + length));
      grown.set(this.bytes.subarray(0, this.end));
      this.bytes = grown;
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

/** The last table's bytes: batches come with the same table (grown) until its generation ends. */
let lastTable: TableBytes | undefined;

export function tableBytesOf(table: readonly string[]): TableBytes {
  if (lastTable?.table !== table) lastTable = new TableBytes(table);
  return lastTable;
}
