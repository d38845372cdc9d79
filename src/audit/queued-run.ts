import type { AuditRecord } from "./audit-record.ts";
import { AuditRowWriter } from "./audit-row-bytes.ts";
import { ROW_LINE, type RowLine } from "./audit-row-layout.ts";

const FIRST_ROWS = 1024;

/**
 * One run of the audit writer's queued rows (encoded-rows.ts): the batch it becomes, in a buffer of
 * its own, so that the batch's memory goes when it is written, whatever is queued behind it. A row
 * may refer to the row before it in its run (audit-row-bytes.ts `TAG.SAME`), never further.
 */
export class QueuedRun {
  private readonly out: AuditRowWriter;
  /** `ends[i]`: the byte after row i. */
  private ends = new Uint32Array(FIRST_ROWS);
  rows = 0;

  constructor(firstBytes: number) {
    this.out = new AuditRowWriter(firstBytes);
  }

  /** The bytes its rows take. */
  get used(): number {
    return this.out.used;
  }

  /** The bytes its buffer holds. */
  get size(): number {
    return this.out.bytes.length;
  }

  /** `line`: the row's line byte (`ROW_LINE`). */
  push(record: AuditRecord, line: RowLine): void {
    if (this.rows === this.ends.length) {
      const ends = new Uint32Array(this.rows * 2);
      ends.set(this.ends);
      this.ends = ends;
    }
    this.out.put(record, line);
    this.ends[this.rows++] = this.out.used;
  }

  /** Its rows as a batch reads them: a view, valid until it takes another row or is freed. */
  bytes(): Uint8Array<ArrayBuffer> {
    return this.out.written();
  }

  /** Whether a row carries its access line. */
  carriesLines(): boolean {
    for (let i = 0; i < this.rows; i++)
      if (this.out.lineAt(this.ends[i] as number) !== ROW_LINE.NONE) return true;
    return false;
  }

  /** Its rows' lines are written: a batch sent again carries none. */
  clearLines(): void {
    for (let i = 0; i < this.rows; i++) this.out.clearLine(this.ends[i] as number);
  }

  /**
   * It takes no more rows: a buffer grown past `keep` bytes is cut to the rows, its room to grow
   * freed, so that a backlog's runs wait at their size, not at up to twice it.
   */
  close(keep: number): void {
    this.out.trim(keep);
  }

  /** Empty again, to be the next run (a buffer past `keep` bytes given up for a first-size one). */
  reset(keep: number): void {
    this.rows = 0;
    this.out.clear(keep);
  }

  /** Written: its memory freed now, not when a collection finds it (core/free-now.ts). */
  free(): void {
    this.out.free();
  }
}
