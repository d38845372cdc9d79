import type { AuditBatchResult, AuditStore } from "../storage/storage.ts";
import type { AccessLineRelay } from "./access-line-relay.ts";
import type { AuditRecord } from "./audit-record.ts";
import type { RowLine } from "./audit-row-layout.ts";
import { EncodedRows } from "./encoded-rows.ts";

/** A batch written: its rows, and what the store made of them. */
export interface WrittenBatch extends AuditBatchResult {
  readonly rows: number;
}

/**
 * What a stopping writer takes back, oldest first. The first `inFlight` were in a batch still being
 * written when the stop's time ran out: the store may yet have taken them.
 */
export interface TakenRows {
  readonly records: AuditRecord[];
  readonly inFlight: number;
}

/**
 * The audit writer's records waiting for their batch, oldest first. Only one batch is written at
 * a time; its rows do not count as waiting while it is.
 */
export interface PendingRows {
  /** Rows queued and not in the batch being written. */
  readonly waiting: number;
  /**
   * Rows the queue holds, the batch being written included: the rows `bytes` counts, which the
   * queue's bound (`maxQueue`) and what it says it holds count too.
   */
  readonly held: number;
  /**
   * What the rows take, in bytes, the batch being written included (it is held until written):
   * exact for rows queued as bytes, an estimate for records (`recordBytes`).
   */
  readonly bytes: number;
  /** `line`: whether the row carries its access line (only where the store's thread writes them). */
  push(record: AuditRecord, line?: RowLine): void;
  /**
   * Writes the oldest waiting rows as one batch: `max` of them, or fewer where the queue keeps
   * its batches in runs (encoded-rows.ts). They leave the queue when it is written; when the store
   * throws they stay at its head, before any queued meanwhile, and it rethrows.
   */
  write(max: number): Promise<WrittenBatch>;
  /**
   * Every row, as records, oldest first, the queue left empty: what a writer that stops with its
   * storage down could not write. With a batch being written, its rows too (`inFlight`), and the
   * queue takes no more: whatever that write does later changes nothing here.
   */
  takeAll(): TakenRows;
}

/**
 * Bytes for a store that takes them (`AuditStore.insertEncoded`: a thread), records otherwise.
 * `relay`: rows may carry their access lines (the store's thread writes them: `threadLines`).
 */
export function pendingRowsFor(store: AuditStore, batchSize: number, relay?: AccessLineRelay): PendingRows {
  const { insertEncoded, threadLines } = store;
  if (!insertEncoded) return new RecordRows(store);
  const lines = relay && threadLines ? { relay, claims: threadLines } : undefined;
  return new EncodedRows((batch, claim) => insertEncoded.call(store, batch, claim), batchSize, lines);
}

/**
 * What a record's bodies take as UTF-8: what the queue holds of them when queued as bytes, and a
 * bound on what they take as strings (one or two bytes a character). Counted, not guessed from
 * their length: a body of CJK text takes three bytes a character, and counted as one it let a
 * queue bounded at 1MB hold 3MB.
 */
export const bodyBytes = (record: AuditRecord): number =>
  utf8Bytes(record.requestBody) + utf8Bytes(record.responseBody);

const utf8Bytes = (text: string | null | undefined): number =>
  text == null ? 0 : Buffer.byteLength(text, "utf8");

/**
 * About what a record's other fields take, held as an object with its strings, or queued as bytes
 * (a row with one attempt takes ~220); what the writer keeps free for each row beside its bodies.
 */
export const RECORD_BYTES = 512;

/** What a queued record is counted as taking (`PendingRows.bytes`). */
const recordBytes = (record: AuditRecord): number => RECORD_BYTES + bodyBytes(record);

/** Records as objects, for a store that takes them (memory, an embedder's own). */
class RecordRows implements PendingRows {
  private queue: AuditRecord[] = [];
  /** The batch being written. */
  private sending: AuditRecord[] = [];
  private abandoned = false;
  bytes = 0;

  constructor(private readonly store: AuditStore) {}

  get waiting(): number {
    return this.queue.length;
  }

  get held(): number {
    return this.sending.length + this.queue.length;
  }

  push(record: AuditRecord): void {
    this.queue.push(record);
    this.bytes += recordBytes(record);
  }

  async write(max: number): Promise<WrittenBatch> {
    const batch = this.queue.splice(0, max);
    this.sending = batch;
    let result: AuditBatchResult;
    try {
      result = await this.store.insert(batch);
    } catch (error) {
      if (!this.abandoned) this.queue = batch.concat(this.queue);
      throw error;
    } finally {
      this.sending = [];
    }
    if (!this.abandoned) for (const record of batch) this.bytes -= recordBytes(record);
    return { rows: batch.length, ...result };
  }

  takeAll(): TakenRows {
    const inFlight = this.sending.length;
    if (inFlight > 0) this.abandoned = true;
    const records = this.sending.concat(this.queue.splice(0));
    this.sending = [];
    this.bytes = 0;
    return { records, inFlight };
  }
}
