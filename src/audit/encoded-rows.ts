import type { AuditBatchResult } from "../storage/storage.ts";
import type { AccessLineRelay } from "./access-line-relay.ts";
import type { AuditRecord } from "./audit-record.ts";
import { AuditRowWriter } from "./audit-row-bytes.ts";
import { ROW_LINE, type RowLine } from "./audit-row-layout.ts";
import { decodeAuditRows } from "./audit-row-reader.ts";
import type { TakenRows, WrittenBatch } from "./pending-rows.ts";

/**
 * Access lines that rows carry (audit-row-layout.ts `ROW_LINE`): `relay` writes those no thread
 * took, `claims` says whether the store's thread took the last batch's.
 */
export interface CarriedLines {
  readonly relay: AccessLineRelay;
  readonly claims: { open(): number; reclaim(lines: number): boolean };
}

/** Queues whose rows carry lines, for the exit's last word (weakly: a queue dropped needs none). */
const carrying = new Set<WeakRef<EncodedRows>>();
let exitHooked = false;

function carryLines(rows: EncodedRows): void {
  carrying.add(new WeakRef(rows));
  if (exitHooked) return;
  exitHooked = true;
  // An orderly exit, a handled signal or an uncaught exception: the lines of rows still queued.
  process.once("exit", () => {
    for (const ref of carrying) ref.deref()?.writeLinesAtExit();
  });
}

/**
 * ~300 rows of ~220 bytes (a request with one attempt); doubled as needed, and kept (a flush
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
 * The audit writer's queue for a store that takes encoded rows (a thread): each row's fields
 * written into one growing buffer the moment it is queued (audit-row-bytes.ts), no string or
 * object made of it. A row waits up to `audit.flush_ms`; as a string in a queue, every young
 * collection meanwhile marked it and promoted it, and later ones visited it until a full
 * collection (~0.2–0.6 strings a request: docs/BENCHMARKS-HISTORY.md, "Session 12: the audit
 * queue on the main heap"). Bytes in an `ArrayBuffer` are no cells to mark. A batch is a copy of
 * its rows' bytes (read back by `parseAuditBatch`), handed over whole; the rows stay here until
 * it is written, so that a failed batch is retried as it was.
 *
 * A batch is one run of rows (audit-row-bytes.ts: a row may refer to the row before it in its
 * run): a run ends at `batchSize` rows, or where a batch is cut from the rows queued so far; the
 * rows queued from then on start the next. So a batch is at most `max` rows, and fewer when the
 * oldest run is shorter (a batch that failed is retried as it was, not with the rows queued
 * since).
 */
export class EncodedRows {
  private readonly out = new AuditRowWriter(FIRST_BYTES);
  /** `ends[i]`: the byte after row i. */
  private ends = new Uint32Array(FIRST_ROWS);
  /** `starts[i]`: 1 where row i starts a run. */
  private starts = new Uint8Array(FIRST_ROWS);
  private rows = 0;
  /** Rows in the last run; it takes more until a batch is cut from it or it holds `batchSize`. */
  private runRows = 0;
  private runOpen = false;
  /**
   * The first row not yet written, and where it starts: rows before it are written and wait to be
   * compacted away (`drop`), so that a backlog drained batch by batch is not moved once a batch.
   */
  private head = 0;
  private headByte = 0;
  /** The oldest rows, in the batch being written. */
  private sending = 0;
  /** The claim of the batch being written when its rows carry lines (line-claims.ts), else 0. */
  private sendingLines = 0;
  /** Emptied by a stop while a batch was being written (`takeAll`): that write's end is ignored. */
  private abandoned = false;

  constructor(
    private readonly insert: (batch: Uint8Array, lines?: number) => Promise<AuditBatchResult>,
    private readonly batchSize: number,
    private readonly lines?: CarriedLines,
  ) {
    if (lines) carryLines(this);
  }

  get waiting(): number {
    return this.rows - this.head - this.sending;
  }

  /** `line`: the row's line byte (`ROW_LINE`; set only with `lines`). */
  push(record: AuditRecord, line: RowLine = ROW_LINE.NONE): void {
    if (this.rows === this.ends.length) this.growRows();
    const starts = !this.runOpen || this.runRows === this.batchSize;
    if (starts) {
      this.out.newRun();
      this.runOpen = true;
      this.runRows = 0;
    }
    this.out.put(record, line);
    this.starts[this.rows] = starts ? 1 : 0;
    this.runRows++;
    this.ends[this.rows++] = this.out.used;
  }

  /**
   * The oldest run, whole: a run holds at most `batchSize` rows, which is the most the writer
   * asks for (`max`); cut short, its rest would refer to rows of this batch.
   */
  async write(_max: number): Promise<WrittenBatch> {
    let next = this.head + 1;
    while (next < this.rows && this.starts[next] === 0) next++;
    // Cut from the last run: rows queued from now on start the next.
    if (next === this.rows) this.runOpen = false;
    const count = next - this.head;
    const end = this.ends[this.head + count - 1] as number;
    // A copy (a Buffer's `slice` would be a view): the store transfers it to its thread.
    const batch = new Uint8Array(this.out.bytes.subarray(this.headByte, end));
    this.sending = count;
    const lines = this.lines;
    this.sendingLines = lines !== undefined && this.carries(this.head, next) ? lines.claims.open() : 0;
    let result: AuditBatchResult;
    try {
      result = await (this.sendingLines === 0 ? this.insert(batch) : this.insert(batch, this.sendingLines));
    } finally {
      if (!this.abandoned) {
        this.settleLines(end);
        this.sending = 0;
        this.sendingLines = 0;
      }
    }
    if (!this.abandoned) this.drop(count, end);
    return { rows: count, written: result.written, rejected: result.rejected };
  }

  /**
   * Every row still queued, as records (`PendingRows.takeAll`), the queue left empty, a batch being
   * written included. The access lines they carry are written first, as at exit: nothing else
   * will (but those of a batch in flight whose thread took them).
   */
  takeAll(): TakenRows {
    if (this.head === this.rows) return { records: [], inFlight: 0 };
    this.writeLinesAtExit();
    const inFlight = this.sending;
    if (inFlight > 0) this.abandoned = true;
    const records = decodeAuditRows(this.out.bytes.subarray(this.headByte, this.out.used));
    this.sending = 0;
    this.sendingLines = 0;
    this.drop(this.rows - this.head, this.out.used);
    this.runOpen = false;
    return { records, inFlight };
  }

  /**
   * The batch being written (the rows from the head up to byte `end`) was answered, written or not:
   * the lines its rows carry were written by the thread, or are written now by the loop if the
   * thread never took them. Either way a retry of the batch carries none.
   */
  private settleLines(end: number): void {
    if (this.lines === undefined || this.sendingLines === 0) return;
    if (this.lines.claims.reclaim(this.sendingLines))
      this.lines.relay.writeRows(this.out.bytes.subarray(this.headByte, end));
    for (let i = this.head; i < this.head + this.sending; i++) this.out.clearLine(this.ends[i] as number);
  }

  /** Whether a row in [from, to) carries its line. */
  private carries(from: number, to: number): boolean {
    for (let i = from; i < to; i++)
      if (this.out.lineAt(this.ends[i] as number) !== ROW_LINE.NONE) return true;
    return false;
  }

  /**
   * At exit: the lines of the rows still here, but for a batch in flight whose lines its thread
   * took (written, or being written). Synchronous, as the exit allows.
   */
  writeLinesAtExit(): void {
    const lines = this.lines;
    if (lines === undefined || this.head === this.rows) return;
    const from =
      this.sendingLines !== 0 && !lines.claims.reclaim(this.sendingLines)
        ? (this.ends[this.head + this.sending - 1] as number)
        : this.headByte;
    if (from < this.out.used) lines.relay.writeRows(this.out.bytes.subarray(from, this.out.used));
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
      this.head = this.rows = this.headByte = 0;
      this.out.clear(KEPT_BYTES);
      // The row ends of a backlog go with its bytes.
      if (this.ends.length > FIRST_ROWS * 4) {
        this.ends = new Uint32Array(FIRST_ROWS);
        this.starts = new Uint8Array(FIRST_ROWS);
      }
      return;
    }
    if (end * 2 <= this.out.used) return;
    this.out.shift(end);
    const left = this.rows - this.head;
    for (let i = 0; i < left; i++) {
      this.ends[i] = (this.ends[i + this.head] as number) - end;
      this.starts[i] = this.starts[i + this.head] as number;
    }
    this.rows = left;
    this.head = this.headByte = 0;
  }

  private growRows(): void {
    const ends = new Uint32Array(this.rows * 2);
    ends.set(this.ends);
    this.ends = ends;
    const starts = new Uint8Array(this.rows * 2);
    starts.set(this.starts);
    this.starts = starts;
  }
}
