import type { AuditRecord } from "./audit-record.ts";

/** What the audit writer has done so far: `AuditWriter.stats()`, read by metrics and health. */
export interface AuditWriterStats {
  healthy: boolean;
  /** Rows queued, the batch being written included (what `queuedBytes` counts). */
  queued: number;
  /** What the queued rows take, in bytes (`maxQueueBytes` bounds it). */
  queuedBytes: number;
  written: number;
  /** Records the store refused on their own (never a storage failure). */
  rejected: number;
  /** Records refused because the queue was full or the writer closed. */
  dropped: number;
  /** Records queued with their bodies replaced by `BODY_NOT_KEPT`: the queue held `maxQueueBytes`. */
  bodiesDropped: number;
}

/** How a writer closed: its counts, and the records its storage never took. */
export interface ClosedAuditWriter extends AuditWriterStats {
  /** Oldest first; the caller keeps them elsewhere (audit-service.ts: an NDJSON file). */
  unwritten: AuditRecord[];
  /**
   * How many of the first `unwritten` were in a write still running when the stop's time ran out:
   * the store may yet have taken them (0 when every write had been answered).
   */
  maybeWritten: number;
}
