import type { AuditBatchResult } from "../storage/storage.ts";
import type { AuditRecord } from "./audit-record.ts";
import { encodeAuditRow } from "./audit-row-text.ts";

const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
/** ~180 rows of ~360 bytes; doubled as needed, back to this once a backlog is written. */
const FIRST_BYTES = 64 * 1024;
const FIRST_ROWS = 1024;

const encoder = new TextEncoder();

/**
 * The audit writer's queue for a store that takes text (a thread): each row's text
 * (`encodeAuditRow`) written as UTF-8 into one growing buffer the moment it is queued, so the
 * string dies young. A row waits up to `audit.flush_ms`; as a string in a queue, every young
 * collection meanwhile marked it and promoted it, and later ones visited it until a full
 * collection (~0.35–0.6 strings a request at c=1–8: docs/BENCHMARKS-HISTORY.md, "Session 12: the
 * audit queue on the main heap"). Bytes in an `ArrayBuffer` are no cells to mark. A batch is a
 * copy of its rows as one JSON array (`[row,row]`, read back by `decodeAuditRows`), handed over
 * whole; the rows stay here until it is written, so that a failed batch is retried as it was.
 */
export class EncodedRows {
  /** Each row behind a comma: `,row,row`; the first comma becomes a batch's `[`. */
  private bytes = new Uint8Array(FIRST_BYTES);
  private used = 0;
  /** `ends[i]`: the byte after row i. */
  private ends = new Uint32Array(FIRST_ROWS);
  private rows = 0;
  /** The oldest rows, in the batch being written. */
  private sending = 0;

  constructor(private readonly insert: (batch: Uint8Array) => Promise<AuditBatchResult>) {}

  get waiting(): number {
    return this.rows - this.sending;
  }

  push(record: AuditRecord): void {
    const text = encodeAuditRow(record);
    const start = this.used + 1;
    // One byte a character for ASCII (nearly every row); at most three for any other.
    this.reserve(start + text.length);
    let { read, written } = encoder.encodeInto(text, this.bytes.subarray(start));
    if (read < text.length) {
      this.reserve(start + 3 * text.length);
      ({ read, written } = encoder.encodeInto(text, this.bytes.subarray(start)));
    }
    this.bytes[this.used] = COMMA;
    this.used = start + written;
    if (this.rows === this.ends.length) this.ends = grown(this.ends, this.rows + 1);
    this.ends[this.rows++] = this.used;
  }

  async write(max: number): Promise<AuditBatchResult> {
    const count = Math.min(max, this.waiting);
    const end = this.ends[count - 1] as number;
    const batch = new Uint8Array(end + 1);
    batch.set(this.bytes.subarray(0, end));
    batch[0] = OPEN;
    batch[end] = CLOSE;
    this.sending = count;
    try {
      const result = await this.insert(batch);
      this.drop(count, end);
      return result;
    } finally {
      this.sending = 0;
    }
  }

  /** The first `count` rows (`end` bytes) written: what came after them moves to the front. */
  private drop(count: number, end: number): void {
    this.rows -= count;
    this.used -= end;
    if (this.rows === 0 && this.bytes.length > FIRST_BYTES) {
      // A backlog's buffers (an outage, up to `maxQueue` rows) are not kept for good.
      this.bytes = new Uint8Array(FIRST_BYTES);
      this.ends = new Uint32Array(FIRST_ROWS);
      return;
    }
    this.bytes.copyWithin(0, end, end + this.used);
    for (let i = 0; i < this.rows; i++) this.ends[i] = (this.ends[i + count] as number) - end;
  }

  private reserve(bytes: number): void {
    if (bytes > this.bytes.length) this.bytes = grown(this.bytes, bytes);
  }
}

/** A copy of `array` at least `least` long, doubled: pushes cost amortised constant time. */
function grown<A extends Uint8Array | Uint32Array>(array: A, least: number): A {
  let length = array.length * 2;
  while (length < least) length *= 2;
  const larger = new (array.constructor as new (length: number) => A)(length);
  larger.set(array);
  return larger;
}
