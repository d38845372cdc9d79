import type { AuditBatchResult } from "../storage/storage.ts";
import type { AuditRecord } from "./audit-record.ts";
import { encodeAuditRow } from "./audit-row-text.ts";

const COMMA = 0x2c;
const OPEN = 0x5b;
const CLOSE = 0x5d;
/**
 * ~270 rows of ~245 bytes (a request with one attempt); doubled as needed, and kept (a flush
 * window's rows every window).
 */
const FIRST_BYTES = 64 * 1024;
const FIRST_ROWS = 1024;
/**
 * A buffer larger than this (~4,300 rows; a flush window at c=32 holds ~700) held a backlog (an
 * outage, up to `maxQueue` rows): it goes once the queue is empty. Smaller ones are kept: made
 * again every flush window, they were ~0.7 KB of allocation a request at c=1.
 */
const KEPT_BYTES = 1024 * 1024;

/**
 * The audit writer's queue for a store that takes text (a thread): each row's text
 * (`encodeAuditRow`) written as UTF-8 into one growing buffer the moment it is queued, so the
 * string dies young. A row waits up to `audit.flush_ms`; as a string in a queue, every young
 * collection meanwhile marked it and promoted it, and later ones visited it until a full
 * collection (~0.2–0.6 strings a request: docs/BENCHMARKS-HISTORY.md, "Session 12: the audit
 * queue on the main heap"). Bytes in an `ArrayBuffer` are no cells to mark. `Buffer.write` at an
 * offset, not `TextEncoder.encodeInto`: that needs a view at the offset and returns an object,
 * two cells a row. A batch is a copy of its rows as one JSON array (`[row,row]`, read back by
 * `decodeAuditRows`), handed over whole; the rows stay here until it is written, so that a failed
 * batch is retried as it was.
 */
export class EncodedRows {
  /** Each row behind a comma: `,row,row`; the first comma becomes a batch's `[`. */
  private bytes = Buffer.allocUnsafeSlow(FIRST_BYTES);
  private used = 0;
  /** `ends[i]`: the byte after row i. */
  private ends = new Uint32Array(FIRST_ROWS);
  private rows = 0;
  /**
   * The first row not yet written, and where it starts: rows before it are written and wait to be
   * compacted away (`drop`), so that a backlog drained batch by batch is not moved once a batch.
   */
  private head = 0;
  private headByte = 0;
  /** The oldest rows, in the batch being written. */
  private sending = 0;

  constructor(private readonly insert: (batch: Uint8Array) => Promise<AuditBatchResult>) {}

  get waiting(): number {
    return this.rows - this.head - this.sending;
  }

  push(record: AuditRecord): void {
    const text = encodeAuditRow(record);
    const start = this.used + 1;
    this.reserve(start + Buffer.byteLength(text));
    this.bytes[this.used] = COMMA;
    this.used = start + this.bytes.write(text, start);
    if (this.rows === this.ends.length) {
      const ends = new Uint32Array(this.rows * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.ends[this.rows++] = this.used;
  }

  async write(max: number): Promise<AuditBatchResult> {
    const count = Math.min(max, this.waiting);
    const end = this.ends[this.head + count - 1] as number;
    const length = end - this.headByte;
    const batch = new Uint8Array(length + 1);
    batch.set(this.bytes.subarray(this.headByte, end));
    batch[0] = OPEN;
    batch[length] = CLOSE;
    this.sending = count;
    try {
      const result = await this.insert(batch);
      this.drop(count, end);
      return result;
    } finally {
      this.sending = 0;
    }
  }

  /**
   * The next `count` rows (up to byte `end`) are written. Once every row is, the buffer starts
   * over (a large one made anew); rows left are moved to the front only once the written ones are
   * more than half the bytes in use: each byte is moved a bounded number of times however long
   * the backlog (moving them every batch copied the whole backlog once a batch).
   */
  private drop(count: number, end: number): void {
    this.head += count;
    this.headByte = end;
    if (this.head === this.rows) {
      this.head = this.rows = this.used = this.headByte = 0;
      if (this.bytes.length > KEPT_BYTES) {
        this.bytes = Buffer.allocUnsafeSlow(FIRST_BYTES);
        this.ends = new Uint32Array(FIRST_ROWS);
      }
      return;
    }
    if (end * 2 <= this.used) return;
    this.bytes.copyWithin(0, end, this.used);
    this.used -= end;
    const left = this.rows - this.head;
    for (let i = 0; i < left; i++) this.ends[i] = (this.ends[i + this.head] as number) - end;
    this.rows = left;
    this.head = this.headByte = 0;
  }

  /** Room for `bytes` in all, doubling: pushes cost amortised constant time. */
  private reserve(bytes: number): void {
    if (bytes <= this.bytes.length) return;
    let length = this.bytes.length * 2;
    while (length < bytes) length *= 2;
    const larger = Buffer.allocUnsafeSlow(length);
    this.bytes.copy(larger, 0, 0, this.used);
    this.bytes = larger;
  }
}
