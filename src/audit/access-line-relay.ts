import { writeSync } from "node:fs";
import { type Logger, loggerLines } from "../log/logger.ts";
import type { AuditStore } from "../storage/storage.ts";
import { accessLines, rowLineOf } from "./access-line.ts";
import type { AuditRecord } from "./audit-record.ts";
import type { RowLine } from "./audit-row-layout.ts";
import { parseAuditBatch } from "./audit-row-reader.ts";

/**
 * Between the audit writer and the access log, for a served request's info line: the writer
 * queues its row with a line byte (audit-row-layout.ts `ROW_LINE`) and the audit thread that
 * decodes the row writes the line to stderr before its batch's insert, so the event loop neither
 * formats nor writes it (docs/OBSERVABILITY.md, "Logs"). Only a row the writer queued carries its
 * line (`rowLine`); the access log then skips it (`took`), and writes every other line itself: a
 * refusal or a failure (their reason is the loop's), a row dropped on a full queue, one queued
 * while storage fails. Lines of rows no thread took (the thread gone, or the process exiting with
 * rows queued) are written by the loop from the rows' bytes (`writeRows`).
 */
export class AccessLineRelay {
  /** The request id of the last row queued with its line (the access log is told next). */
  private carried: string | null = null;

  constructor(
    private readonly line: RowLine,
    private readonly write: (text: string) => void = (text) => writeSync(2, text),
  ) {}

  /**
   * The line byte of `record`'s row, told of every record the writer is given: its line goes with
   * its row when the row is `queued` with healthy storage and the request was served without
   * error. Every record resets what the access log is told next, so a line is never skipped on
   * the word of a record before it.
   */
  rowLine(record: AuditRecord, queued: boolean): RowLine {
    const carries = queued && record.status < 400 && record.errorClass === null;
    this.carried = carries ? record.requestId : null;
    return carries ? this.line : 0;
  }

  /** Whether `record`'s line went with its row (then the access log writes none). */
  took(record: AuditRecord): boolean {
    if (this.carried !== record.requestId) return false;
    this.carried = null;
    return true;
  }

  /**
   * Writes the lines that rows of `bytes` (whole runs of them) carry and no thread wrote. Never
   * throws: it runs in the audit writer's batch (a failure there would read as storage's) and at
   * exit.
   */
  writeRows(bytes: Uint8Array): void {
    const lines: RowLine[] = [];
    const text = accessLines(parseAuditBatch(bytes, lines), lines);
    if (text === "") return;
    try {
      this.write(text);
    } catch {
      // stderr is gone (closed pipe): nothing left to tell, and the rows are still written.
    }
  }
}

/**
 * The relay where it applies: the built-in stderr logger at info or below, and an audit store
 * whose thread writes the lines (`AuditStore.threadLines`). Anywhere else (a caller's own logger
 * or `write`, the memory store, an embedder's store) the event loop writes every line.
 */
export function accessLineRelay(logger: Logger, store: AuditStore): AccessLineRelay | undefined {
  const lines = loggerLines(logger);
  if (!lines?.stderr || !lines.enabled("info") || store.threadLines === undefined) return undefined;
  return new AccessLineRelay(rowLineOf(lines.format));
}
