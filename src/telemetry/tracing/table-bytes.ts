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

export function tableBytesOf(table: readonly string[]): TableBytes {
  if (lastTable?.table !== table) lastTable = new TableBytes(table);
  return lastTable;
}
