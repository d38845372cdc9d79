import type { AuditBatchResult } from "../storage/storage.ts";
import type { AccessLineRelay } from "./access-line-relay.ts";
import type { AuditRecord } from "./audit-record.ts";
import { ROW_LINE, type RowLine } from "./audit-row-layout.ts";
import { decodeAuditRows } from "./audit-row-reader.ts";
import type { TakenRows, WrittenBatch } from "./pending-rows.ts";
import { QueuedRun } from "./queued-run.ts";

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
/**
 * A run's buffer larger than this (~4,300 rows; a flush window at c=32 holds ~700) held a backlog
 * (an outage, up to `maxQueue` rows) or bodies: it is cut to its rows when the run closes and freed
 * once they are written. Smaller ones are kept for the next run: made again every flush window,
 * they were ~0.7 KB of allocation a request at c=1.
 */
const KEPT_BYTES = 1024 * 1024;
/**
 * A run this large takes no more rows (rows are never this large without bodies): a batch is
 * copied as it is handed over, and one cut from a backlog of bodies (megabytes each) held the
 * backlog twice while it was written.
 */
const RUN_BYTES = 32 * 1024 * 1024;

/**
 * The audit writer's queue for a store that takes encoded rows (a thread): each row's fields
 * written into a buffer the moment it is queued (audit-row-bytes.ts), no string or object made of
 * it. A row waits up to `audit.flush_ms`; as a string in a queue, every young collection meanwhile
 * marked it and promoted it, and later ones visited it until a full collection (~0.2–0.6 strings a
 * request: docs/BENCHMARKS-HISTORY.md, "Session 12: the audit queue on the main heap"). Bytes in an
 * `ArrayBuffer` are no cells to mark. A batch is a copy of its rows' bytes (read back by
 * `parseAuditBatch`), handed over whole; the rows stay here until it is written, so that a failed
 * batch is retried as it was.
 *
 * A batch is one run of rows (queued-run.ts), each in a buffer of its own: a run ends at
 * `batchSize` rows or `RUN_BYTES`, or where a batch is cut from the rows queued so far; the rows
 * queued from then on start the next. So a batch is at most `max` rows, and fewer when the oldest
 * run is shorter (a batch that failed is retried as it was, not with the rows queued since). A run
 * written is freed whole at once: with the queue in one buffer, a written row's bytes stayed until
 * the rows behind it were moved over them, and the buffer stayed at the largest the queue had
 * been until a write left it empty, which a steady stream of bodies never did (50 sequential 4 MB
 * requests: 128–256 MB).
 */
export class EncodedRows {
  /** Oldest first; the last takes more rows while `open`. */
  private readonly runs: QueuedRun[] = [];
  private open = false;
  /** Rows in `runs`. */
  private rows = 0;
  /** The bytes the rows in `runs` take (`PendingRows.bytes`). */
  bytes = 0;
  /** A written run's small buffer, for the next run. */
  private spare: QueuedRun | undefined;
  /** The oldest run's rows, in the batch being written. */
  private sending = 0;
  /** The claim of the batch being written when its rows carry lines (line-claims.ts), else 0. */
  private sendingLines = 0;
  /** Emptied by a stop while a batch was being written (`takeAll`): that write's end is ignored. */
  private abandoned = false;

  constructor(
    private readonly insert: (batch: Uint8Array<ArrayBuffer>, lines?: number) => Promise<AuditBatchResult>,
    private readonly batchSize: number,
    private readonly lines?: CarriedLines,
  ) {
    if (lines) carryLines(this);
  }

  get waiting(): number {
    return this.rows - this.sending;
  }

  /** Rows in the queue, the batch being written included (`PendingRows.held`). */
  get held(): number {
    return this.rows;
  }

  /** The bytes the queue's buffers hold. */
  get bytesHeld(): number {
    let held = this.spare?.size ?? 0;
    for (const run of this.runs) held += run.size;
    return held;
  }

  /** `line`: the row's line byte (`ROW_LINE`; set only with `lines`). */
  push(record: AuditRecord, line: RowLine = ROW_LINE.NONE): void {
    const last = this.open ? this.runs[this.runs.length - 1] : undefined;
    const run =
      last === undefined || last.rows === this.batchSize || last.used >= RUN_BYTES ? this.nextRun() : last;
    const before = run.used;
    run.push(record, line);
    this.bytes += run.used - before;
    this.rows++;
  }

  /**
   * The oldest run, whole: a run holds at most `batchSize` rows, which is the most the writer
   * asks for (`max`); cut short, its rest would refer to rows of this batch.
   */
  async write(_max: number): Promise<WrittenBatch> {
    const run = this.runs[0] as QueuedRun;
    // Cut from the last run: rows queued from now on start the next.
    if (this.runs.length === 1) this.open = false;
    const count = run.rows;
    // A copy (not the run's buffer): the store transfers it to its thread.
    const batch = new Uint8Array(run.bytes());
    this.sending = count;
    const lines = this.lines;
    this.sendingLines = lines !== undefined && run.carriesLines() ? lines.claims.open() : 0;
    let result: AuditBatchResult;
    try {
      result = await (this.sendingLines === 0 ? this.insert(batch) : this.insert(batch, this.sendingLines));
    } finally {
      if (!this.abandoned) {
        this.settleLines(run);
        this.sending = 0;
        this.sendingLines = 0;
      }
    }
    if (!this.abandoned) this.written(run);
    return { rows: count, ...result };
  }

  /**
   * Every row still queued, as records (`PendingRows.takeAll`), the queue left empty, a batch being
   * written included. The access lines they carry are written first, as at exit: nothing else
   * will (but those of a batch in flight whose thread took them).
   */
  takeAll(): TakenRows {
    if (this.rows === 0) return { records: [], inFlight: 0 };
    this.writeLinesAtExit();
    const inFlight = this.sending;
    if (inFlight > 0) this.abandoned = true;
    const records = this.runs.flatMap((run) => decodeAuditRows(run.bytes()));
    for (const run of this.runs.splice(0)) run.free();
    this.rows = 0;
    this.bytes = 0;
    this.sending = 0;
    this.sendingLines = 0;
    this.open = false;
    return { records, inFlight };
  }

  /**
   * The batch being written (`run`) was answered, written or not: the lines its rows carry were
   * written by the thread, or are written now by the loop if the thread never took them. Either
   * way a retry of the batch carries none.
   */
  private settleLines(run: QueuedRun): void {
    if (this.lines === undefined || this.sendingLines === 0) return;
    if (this.lines.claims.reclaim(this.sendingLines)) this.lines.relay.writeRows(run.bytes());
    run.clearLines();
  }

  /**
   * At exit: the lines of the rows still here, but for a batch in flight whose lines its thread
   * took (written, or being written). Synchronous, as the exit allows.
   */
  writeLinesAtExit(): void {
    const lines = this.lines;
    if (lines === undefined || this.rows === 0) return;
    const taken = this.sendingLines !== 0 && !lines.claims.reclaim(this.sendingLines);
    for (let i = taken ? 1 : 0; i < this.runs.length; i++)
      lines.relay.writeRows((this.runs[i] as QueuedRun).bytes());
  }

  /** A run for the next rows; the one before, if open, takes no more. */
  private nextRun(): QueuedRun {
    if (this.open) (this.runs[this.runs.length - 1] as QueuedRun).close(KEPT_BYTES);
    const run = this.spare ?? new QueuedRun(FIRST_BYTES);
    this.spare = undefined;
    this.runs.push(run);
    this.open = true;
    return run;
  }

  /** The oldest run is written: it leaves, its buffer kept for the next run if small, else freed. */
  private written(run: QueuedRun): void {
    this.runs.shift();
    this.rows -= run.rows;
    this.bytes -= run.used;
    if (this.spare === undefined && run.size <= KEPT_BYTES) {
      run.reset(KEPT_BYTES);
      this.spare = run;
    } else run.free();
  }
}
