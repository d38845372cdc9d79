import { writeSync } from "node:fs";
import { accessLines } from "../audit/access-line.ts";
import type { AuditRowFields } from "../audit/audit-row-fields.ts";
import type { RowLine } from "../audit/audit-row-layout.ts";

/**
 * Who writes the access lines a batch's rows carry (audit-row-layout.ts `ROW_LINE`): the audit
 * thread that decodes the batch, or the event loop when the thread never did (it had failed, or
 * the process is exiting while the batch waits in the thread's queue). One shared cell decides,
 * so that a line is written once: the audit writer opens a batch's claim (a number) before handing
 * the batch over with it, and whichever side swaps the number for its negative first writes the
 * lines. A batch handed over without its number (a store that does not pass it on) is never
 * claimed by a thread: the loop writes its lines. The writer has one batch in flight at a time,
 * so one cell serves.
 */
export class LineClaims {
  /** Shared with the thread (its `open` request). */
  readonly cell = new Int32Array(new SharedArrayBuffer(4));
  private last = 0;

  /** A batch is about to be handed over: its claim's number, for the thread's `insert`. */
  open(): number {
    this.last = this.last === 0x7fffffff ? 1 : this.last + 1;
    Atomics.store(this.cell, 0, this.last);
    return this.last;
  }

  /** True when batch `number`'s lines are now the caller's to write: no thread claimed them. */
  reclaim(number: number): boolean {
    return claim(this.cell, number);
  }
}

/** Claims batch `number`'s lines for the caller: true once, for the side that swaps first. */
export const claim = (cell: Int32Array, number: number): boolean =>
  number > 0 && Atomics.compareExchange(cell, 0, number, -number) === number;

/**
 * On an audit thread, before the batch's insert (whatever its result): writes the lines its rows
 * carry to stderr in one write, if the gateway has not taken them back.
 */
export function writeClaimedLines(
  rows: readonly AuditRowFields[],
  lines: readonly RowLine[],
  cell: Int32Array | undefined,
  number: number | undefined,
): void {
  if (cell === undefined || number === undefined || !lines.some((line) => line !== 0)) return;
  if (!claim(cell, number)) return;
  const text = accessLines(rows, lines);
  try {
    writeSync(2, text);
  } catch {
    // stderr is gone (closed pipe): nothing left to tell, and the rows are still written.
  }
}
